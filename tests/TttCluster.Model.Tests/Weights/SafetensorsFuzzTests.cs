using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using TttCluster.Model.Weights;

namespace TttCluster.Model.Tests.Weights;

/// <summary>
/// Weights files are untrusted: whatever the bytes, opening and reading must end in a result or a
/// <see cref="WeightsFileException"/>, never another exception, a hang or a huge allocation. Seeded, so a failure
/// names a mutation that reproduces.
/// </summary>
public sealed class SafetensorsFuzzTests : IDisposable
{
    private const int Seed = 20240607;
    private const int RandomMutations = 3000;
    /// <summary>Each test takes about a second; a hang or a pathological slowdown fails instead of stalling the run.</summary>
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(60);

    /// <summary>Bytes that steer a JSON parser into its rarer paths.</summary>
    private static readonly byte[] Interesting = Encoding.ASCII.GetBytes("{}[]\":,-.0123456789eE \\u")
        .Concat(new byte[] { 0x00, 0x7F, 0x80, 0xC0, 0xE9, 0xED, 0xF0, 0xFF }).ToArray();

    /// <summary>JSON values that pass the parser but test the validation: wrong types, edge numbers, real names.</summary>
    private static readonly string[] InterestingTokens =
    [
        "-1", "0", "1", "2", "3", "6", "12", "18", "26", "28", "32", "1.5", "1e3", "-0", "2147483647", "2147483648", "4294967296",
        "9223372036854775807", "99999999999999999999", "null", "true", "[]", "{}", "[0]", "[0,4]", "[2,3]", "[4,0]",
        "\"F32\"", "\"F16\"", "\"BF16\"", "\"I32\"", "\"F4\"", "\"__metadata__\"", "\"a\"", "\"shape\"", "\"\\ud800\"",
    ];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public Task Open_TruncatedAtEveryLengthThrowsOnlyWeightsFileException() => Bounded(failures =>
    {
        byte[] valid = BuildValidFile();
        for (int length = 0; length < valid.Length; length++)
            TryOpenAndReadAll(valid[..length], $"truncated to {length} bytes", failures);
    });

    [Fact]
    public Task Open_HeadersWithMutatedJsonValuesThrowOnlyWeightsFileException() => Bounded(failures =>
    {
        // Replacing whole JSON values keeps the header parseable, so these reach the validation behind the parser.
        var tokens = Regex.Matches(ValidHeader, "\"(?:[^\"\\\\]|\\\\.)*\"|-?[0-9]+|\\[[0-9, ]*\\]");
        var random = new Random(Seed);
        for (int i = 0; i < RandomMutations; i++)
        {
            string mutated = ValidHeader;
            var what = new List<string>();
            // Right to left, so earlier match positions stay valid.
            foreach (Match token in Enumerable.Range(0, 1 + random.Next(3)).Select(_ => tokens[random.Next(tokens.Count)]).Distinct().OrderByDescending(m => m.Index))
            {
                string replacement = InterestingTokens[random.Next(InterestingTokens.Length)];
                mutated = mutated[..token.Index] + replacement + mutated[(token.Index + token.Length)..];
                what.Add($"{token.Value} -> {replacement}");
            }
            // Sometimes cut the data short too, so the bounds checks meet the mutated offsets.
            byte[] data = ValidData[..random.Next(ValidData.Length - 8, ValidData.Length + 1)];
            TryOpenAndReadAll(RawSafetensors.Build(Encoding.UTF8.GetBytes(mutated), data), $"mutation {i} (seed {Seed}): {string.Join(", ", what)}", failures);
        }
    });

    [Fact]
    public Task Open_RandomlyMutatedFilesThrowOnlyWeightsFileException() => Bounded(failures =>
    {
        byte[] valid = BuildValidFile();
        int headerEnd = (int)RawSafetensors.DataStart(valid);
        var random = new Random(Seed);
        for (int i = 0; i < RandomMutations; i++)
        {
            var (mutated, what) = Mutate(valid, headerEnd, random);
            TryOpenAndReadAll(mutated, $"mutation {i} (seed {Seed}): {what}", failures);
        }
    });

    /// <summary>
    /// Runs <paramref name="fuzz"/> off the test thread so that a hang fails the test after <see cref="TimeLimit"/>,
    /// then fails with the first few inputs that threw anything but <see cref="WeightsFileException"/>.
    /// </summary>
    private static async Task Bounded(Action<List<string>> fuzz)
    {
        var failures = new List<string>();
        try
        {
            await Task.Run(() => fuzz(failures)).WaitAsync(TimeLimit);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"fuzzing did not finish within {TimeLimit.TotalSeconds} s: an input makes the reader hang or crawl");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} inputs threw something other than WeightsFileException:\n" + string.Join("\n", failures.Take(10)));
    }

    /// <summary>A small valid file: metadata, every readable dtype, an integer tensor, a gap and an empty tensor.</summary>
    private const string ValidHeader = """
        {"__metadata__":{"ttt_config":"{\"layers\":1}"},
         "a":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},
         "b":{"dtype":"BF16","shape":[3],"data_offsets":[12,18]},
         "c":{"dtype":"F32","shape":[2],"data_offsets":[18,26]},
         "d":{"dtype":"I32","shape":[1],"data_offsets":[28,32]},
         "e":{"dtype":"F32","shape":[0,5],"data_offsets":[32,32]}}
        """;

    private static readonly byte[] ValidData =
    [
        .. RawSafetensors.U16(0x3C00, 0xC000, 0x0001, 0x7BFF, 0x8000, 0x3555), .. RawSafetensors.U16(0x3F80, 0x0001, 0xC000),
        .. RawSafetensors.F32(1f, -1f), 0, 0, 7, 0, 0, 0,
    ];

    private static byte[] BuildValidFile() => RawSafetensors.Build(Encoding.UTF8.GetBytes(ValidHeader), ValidData);

    private static (byte[] Bytes, string What) Mutate(byte[] valid, int headerEnd, Random random)
    {
        var bytes = new List<byte>(valid);
        // Mostly the header, where the parsing is; sometimes anywhere.
        int Position() => random.Next(4) == 0 ? random.Next(bytes.Count) : random.Next(Math.Min(headerEnd, bytes.Count));
        int edits = 1 + random.Next(4);
        var what = new List<string>();
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = Position();
            switch (random.Next(10))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    what.Add($"flip bit at {at}");
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    what.Add($"random byte at {at}");
                    break;
                case 2 or 5 or 6 or 7 or 8: // the likeliest: a JSON-significant byte
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    what.Add($"'{(char)bytes[at]}' at {at}");
                    break;
                case 3:
                    bytes.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    what.Add($"insert at {at}");
                    break;
                case 4:
                    bytes.RemoveAt(at);
                    what.Add($"delete at {at}");
                    break;
                default: // rarely: everything after a wrong length fails the same early check
                    if (bytes.Count < 8) break;
                    ulong length = random.Next(3) switch { 0 => (ulong)random.NextInt64(), 1 => (ulong)random.Next(bytes.Count + 16), _ => ulong.MaxValue - (ulong)random.Next(16) };
                    var prefix = new byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(prefix, length);
                    for (int b = 0; b < 8; b++) bytes[b] = prefix[b];
                    what.Add($"header length {length}");
                    break;
            }
        }
        return (bytes.ToArray(), string.Join(", ", what));
    }

    private void TryOpenAndReadAll(byte[] bytes, string what, List<string> failures)
    {
        string path = _dir.File("fuzz.safetensors");
        File.WriteAllBytes(path, bytes);
        try
        {
            using var file = SafetensorsFile.Open(path);
            _ = file.Metadata.Count;
            foreach (TensorInfo tensor in file.Tensors)
            {
                try
                {
                    file.Read(tensor.Name);
                }
                catch (WeightsFileException)
                {
                    // A bad value or an unreadable dtype in one tensor; the others must still be readable.
                }
            }
        }
        catch (WeightsFileException)
        {
        }
        catch (Exception e)
        {
            failures.Add($"{what}: {e.GetType().Name}: {e.Message}");
        }
    }
}
