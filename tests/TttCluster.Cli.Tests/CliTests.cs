using TttCluster.Model.Weights;

namespace TttCluster.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttt-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "golden", name);

    private static (int Code, string Out, string Err) Ttt(params string[] args) => CliRun.Ttt(args);

    [Fact]
    public void EvalTttScan_WritesTheReferenceOutputs()
    {
        string outPath = Path.Combine(_dir, "out.safetensors");
        var (code, _, err) = Ttt("eval", "ttt-scan", "--weights", Golden("ttt_scan_partial.weights.safetensors"),
            "--inputs", Golden("ttt_scan_partial.inputs.safetensors"), "--out", outPath, "--mini-batch", "16");
        Assert.True(code == 0, err);
        using var got = SafetensorsFile.Open(outPath);
        using var expected = SafetensorsFile.Open(Golden("ttt_scan_partial.expected.safetensors"));
        foreach (var name in new[] { "Z", "W1", "b1", "W2", "b2" })
        {
            float[] a = got.Read(name).Data, b = expected.Read(name).Data;
            double maxDiff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max(), maxRef = b.Max(Math.Abs);
            Assert.True(maxDiff <= 1e-5 * maxRef, $"{name}: maxdiff {maxDiff:E2} vs max |ref| {maxRef:E2}");
        }
    }

    [Fact]
    public void EvalTttScan_WrongShapesNameTheTensor()
    {
        // Weights given as inputs: no XQ tensor there.
        var (code, _, err) = Ttt("eval", "ttt-scan", "--weights", Golden("ttt_scan_even.weights.safetensors"),
            "--inputs", Golden("ttt_scan_even.weights.safetensors"), "--out", Path.Combine(_dir, "o.safetensors"), "--mini-batch", "16");
        Assert.Equal(2, code);
        Assert.Contains("XQ", err);
        Assert.False(File.Exists(Path.Combine(_dir, "o.safetensors")));
    }

    [Fact]
    public void TruncatedWeights_GiveOneClearLine()
    {
        byte[] bytes = File.ReadAllBytes(Golden("tiny_weights.safetensors"));
        string path = Path.Combine(_dir, "cut.safetensors");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var (code, _, err) = Ttt("info", path);
        Assert.Equal(2, code);
        Assert.Contains(path, err);
        Assert.Contains("ttt: error:", err);
    }

    [Fact]
    public void Info_PrintsConfigAndInventory()
    {
        var (code, output, err) = Ttt("info", Golden("tiny_weights.safetensors"));
        Assert.True(code == 0, err);
        Assert.Contains("blocks.1.ttt.W1", output);
        Assert.Contains("\"headDim\":16", output);
    }

    [Fact]
    public void Info_OfTheShippedModel_SaysItIsTrainedAndHow()
    {
        var (code, output, err) = Ttt("info", Path.Combine(CliRun.RepositoryRoot(), "models", "tiny.safetensors"));

        Assert.True(code == 0, err);
        Assert.Contains("weights: trained\n", output);
        Assert.Matches(@"training: [\d,]+ autoencoder steps, then [\d,]+ denoiser steps; seed \d+; \d{4}-\d\d-\d\d; tools/train/train.py at [0-9a-f]+", output);
        Assert.Contains("training data: storyboard world", output);
        Assert.Matches(@"sampler defaults \(for stories that leave them out\): \d+ steps, guidance [\d.]+ \(power [\d.]+\), the file's own", output);
    }

    [Theory]
    [InlineData("eval ttt-scan --weights", "option --weights needs a value")]
    [InlineData("eval ttt-scan --wieghts a", "unknown option --wieghts")]
    [InlineData("eval ttt-scan --weights a --inputs b --out c --mini-batch zero", "expected a whole number")]
    [InlineData("eval attention", "expected a component (ttt-scan)")]
    [InlineData("frobnicate", "unknown command 'frobnicate'")]
    public void BadArguments_SayWhatWasExpected(string line, string message)
    {
        var (code, _, err) = Ttt(line.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }

    [Fact]
    public void Validate_BadStoryNamesLineFieldExpectedAndFound()
    {
        string path = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(path, "title: x\nscenes:\n  - text: \"\"\n");
        var (code, _, err) = Ttt("validate", path);
        Assert.Equal(2, code);
        Assert.Contains("bad.yaml:3:", err);
        Assert.Contains("scenes[0].text: expected a non-empty string", err);
    }

    [Fact]
    public void Render_TooManyTokensIsRejectedBeforeAnyWork()
    {
        string path = Path.Combine(_dir, "long.yaml");
        File.WriteAllText(path, "title: x\nscenes:\n  - text: \"" + string.Join(' ', Enumerable.Repeat("word", 60)) + "\"\n");
        var (code, _, err) = Ttt("render", path, "-o", Path.Combine(_dir, "long.mp4"));
        Assert.Equal(2, code);
        Assert.Contains("expected at most 40 tokens", err);
        Assert.False(File.Exists(Path.Combine(_dir, "long.mp4")));
    }

    [Fact]
    public void Render_BadSiloCountSaysWhy()
    {
        var (code, _, err) = Ttt("render", "story.yaml", "--silos", "0");
        Assert.Equal(2, code);
        Assert.Contains("option --silos: expected a whole number from 1 to 64, found '0'", err);
    }

    [Theory]
    [InlineData(new[] { "--storage", "UseDevelopmentStorage=true" }, "--storage: also give --silos N --processes")]
    [InlineData(new[] { "--silos", "2", "--processes", "--storage", "AccountName=x;AccountKey=not base64!" }, "--storage: expected an Azure Storage connection string")]
    public void Render_BadStorageSaysWhyAndNeverEchoesTheKey(string[] options, string message)
    {
        var (code, _, err) = Ttt(["render", "story.yaml", .. options]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.DoesNotContain("not base64!", err);
    }
}
