using System.Text;
using TttCluster.Model.Weights;

namespace TttCluster.Model.Tests.Weights;

/// <summary>Opening and validating safetensors files: what a user sees when a weights file is broken.</summary>
public sealed class SafetensorsFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private WeightsFileException OpenFails(string path)
    {
        var error = Assert.Throws<WeightsFileException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Equal(path, error.FilePath);
        return error;
    }

    private string WriteRaw(string headerJson, byte[] data)
    {
        string path = _dir.File("raw.safetensors");
        RawSafetensors.Write(path, headerJson, data);
        return path;
    }

    [Fact]
    public void Open_ExposesMetadataAndTensorsInHeaderOrder()
    {
        string path = WriteRaw("""
            {"__metadata__":{"ttt_config":"{\"layers\":2}"},
             "b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "a":{"dtype":"F16","shape":[],"data_offsets":[8,10]}}
            """, new byte[10]);

        using var file = SafetensorsFile.Open(path);

        Assert.Equal("{\"layers\":2}", file.Metadata["ttt_config"]);
        Assert.Equal(["b", "a"], file.Tensors.Select(t => t.Name));
        Assert.Equal(new TensorInfo("b", SafetensorsDType.F32, [2], 0, 8).ToString(), file.Tensors[0].ToString());
        Assert.Empty(file.Read("a").Shape);
    }

    [Fact]
    public void Open_EmptyFileSaysItHasZeroBytes()
    {
        string path = _dir.File("empty.safetensors");
        File.WriteAllBytes(path, []);

        var error = OpenFails(path);

        Assert.Contains("expected at least 8 bytes", error.Message);
        Assert.Contains("found a file of 0 bytes", error.Message);
        Assert.Null(error.TensorName);
    }

    [Fact]
    public void Open_FileShorterThanLengthPrefixSaysItsLength()
    {
        string path = _dir.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);

        Assert.Contains("found a file of 5 bytes", OpenFails(path).Message);
    }

    [Fact]
    public void Open_HeaderLengthBeyondFileSaysBothSizes()
    {
        string path = _dir.File("cut.safetensors");
        byte[] bytes = RawSafetensors.Build(Encoding.UTF8.GetBytes("{}"), []);
        bytes[0] = 200; // claims a 200-byte header in a 10-byte file
        File.WriteAllBytes(path, bytes);

        var error = OpenFails(path);

        Assert.Contains("a header that fits in the file (10 bytes)", error.Message);
        Assert.Contains("a header length of 200 bytes", error.Message);
        Assert.Contains("Hint:", error.Message);
    }

    [Fact]
    public void Open_AbsurdHeaderLengthIsRefusedWithoutAllocating()
    {
        string path = _dir.File("absurd.safetensors");
        File.WriteAllBytes(path, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, (byte)'{', (byte)'}']);

        var error = OpenFails(path);

        Assert.Contains($"at most {SafetensorsFile.MaxHeaderBytes} bytes", error.Message);
        Assert.Contains($"found {long.MaxValue} bytes", error.Message);
    }

    [Fact]
    public void Open_GarbageBytesAreRejected()
    {
        string path = _dir.File("garbage.safetensors");
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        bytes[0] = 100; // a plausible header length, so the parser sees the garbage
        Array.Clear(bytes, 1, 7);
        File.WriteAllBytes(path, bytes);

        var error = OpenFails(path);

        Assert.Contains("expected a", error.Message);
        Assert.Contains("header", error.Message);
    }

    [Fact]
    public void Open_InvalidUtf8HeaderIsRejected()
    {
        string path = _dir.File("latin1.safetensors");
        File.WriteAllBytes(path, RawSafetensors.Build([(byte)'{', (byte)'"', 0xE9, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []));

        Assert.Contains("found bytes that are not valid UTF-8", OpenFails(path).Message);
    }

    [Theory]
    [InlineData("{\"a\":", "found malformed JSON at line 1, byte ")]
    [InlineData("[1, 2]", "found a JSON array")]
    [InlineData("{} {}", "found malformed JSON at line 1, byte 4 ('{' there)")]
    [InlineData("{\"a\": 1,}", "found malformed JSON at line 1, byte 9 ('}' there)")]
    public void Open_HeaderThatIsNotAJsonObjectIsRejected(string header, string found)
    {
        var error = OpenFails(WriteRaw(header, []));

        Assert.Contains(found, error.Message);
        Assert.DoesNotContain("reader options", error.Message);   // System.Text.Json's own words stay out
    }

    [Theory]
    [InlineData("dtype", """{"shape":[1],"data_offsets":[0,4]}""")]
    [InlineData("shape", """{"dtype":"F32","data_offsets":[0,4]}""")]
    [InlineData("data_offsets", """{"dtype":"F32","shape":[1]}""")]
    public void Open_EntryMissingAFieldNamesTensorAndField(string field, string entry)
    {
        var error = OpenFails(WriteRaw($$"""{"blocks.0.norm1.weight":{{entry}}}""", new byte[4]));

        Assert.Equal("blocks.0.norm1.weight", error.TensorName);
        Assert.Contains("tensor 'blocks.0.norm1.weight'", error.Message);
        Assert.Contains($"expected a \"{field}\" field, found none", error.Message);
    }

    [Theory]
    [InlineData("""{"dtype":32,"shape":[1],"data_offsets":[0,4]}""", "expected \"dtype\" to be a JSON string, found a JSON number")]
    [InlineData("""{"dtype":"F32","shape":"1","data_offsets":[0,4]}""", "expected \"shape\" to be a JSON array, found a JSON string")]
    [InlineData("""{"dtype":"F32","shape":[1],"data_offsets":{"a":0}}""", "expected \"data_offsets\" to be a JSON array, found a JSON object")]
    [InlineData("""{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}""", "expected shape dimension 0 to be an integer in [0, 2147483647], found -1")]
    [InlineData("""{"dtype":"F32","shape":[1,1.5],"data_offsets":[0,4]}""", "expected shape dimension 1 to be an integer in [0, 2147483647], found 1.5")]
    [InlineData("""{"dtype":"F32","shape":[4294967296],"data_offsets":[0,4]}""", "found 4294967296")]
    [InlineData("""{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}""", "found \"1\"")]
    [InlineData("""{"dtype":"F32","shape":[1],"data_offsets":[0]}""", "expected data_offsets to be [begin, end], found 1 numbers")]
    [InlineData("""{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}""", "expected data_offsets begin to be a non-negative integer, found -4")]
    [InlineData("""{"dtype":"F32","shape":[1],"data_offsets":[4,0]}""", "expected data_offsets end >= begin, found [4, 0]")]
    [InlineData("""{"dtype":"F4","shape":[1],"data_offsets":[0,4]}""", "expected a dtype among BOOL, U8")]
    [InlineData("""{"dtype":"f32","shape":[1],"data_offsets":[0,4]}""", "found \"f32\"")]
    [InlineData("""[1]""", "expected an object with dtype, shape and data_offsets, found a JSON array")]
    public void Open_MalformedEntrySaysExpectedAndFound(string entry, string expectedText)
    {
        var error = OpenFails(WriteRaw($$"""{"x.weight":{{entry}}}""", new byte[4]));

        Assert.Equal("x.weight", error.TensorName);
        Assert.Contains(expectedText, error.Message);
    }

    [Fact]
    public void Open_ElementCountOverflowIsRejected()
    {
        var error = OpenFails(WriteRaw("""{"huge":{"dtype":"F32","shape":[2147483647,2147483647,4],"data_offsets":[0,4]}}""", new byte[4]));

        Assert.Contains("tensor 'huge'", error.Message);
        Assert.Contains($"expected at most {Array.MaxLength} elements", error.Message);
        Assert.Contains("found shape [2147483647, 2147483647, 4]", error.Message);
    }

    [Fact]
    public void Open_HeaderLyingAboutByteLengthSaysBoth()
    {
        var error = OpenFails(WriteRaw("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}""", new byte[24]));

        Assert.Contains("tensor 'w'", error.Message);
        Assert.Contains("expected 24 bytes of data (shape [2, 3] = 6 elements × 4 bytes of F32)", error.Message);
        Assert.Contains("found data_offsets [0, 20] spanning 20 bytes", error.Message);
    }

    [Fact]
    public void Open_TruncatedFileSaysFileSizeAndPromisedSize()
    {
        string path = _dir.File("truncated.safetensors");
        string header = """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}""";
        RawSafetensors.Write(path, header, new byte[32]);
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..^10]);

        var error = OpenFails(path);

        Assert.Equal("b", error.TensorName);
        Assert.Contains($"the file has {whole.Length - 10} bytes but the header promises at least {whole.Length}", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Open_OverlappingTensorsNameBoth()
    {
        var error = OpenFails(WriteRaw("""
            {"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},
             "b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}
            """, new byte[24]));

        Assert.Equal("b", error.TensorName);
        Assert.Contains("found data_offsets [8, 24] overlapping tensor 'a' at [0, 16]", error.Message);
    }

    [Fact]
    public void Open_GapsBetweenTensorsAreAllowed()
    {
        string path = WriteRaw("""
            {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},
             "b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}
            """, RawSafetensors.F32(1f, 99f, 2f));

        using var file = SafetensorsFile.Open(path);

        Assert.Equal([2f], file.Read("b").Data);
    }

    [Fact]
    public void Open_DuplicateTensorNameIsRejected()
    {
        var error = OpenFails(WriteRaw("""
            {"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},
             "w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}
            """, new byte[8]));

        Assert.Equal("w", error.TensorName);
        Assert.Contains("expected each name once in the header, found 'w' twice (a duplicate JSON key)", error.Message);
    }

    [Theory]
    [InlineData("""{"__metadata__":{"k":"1","k":"2"}}""", "found 'k' twice")]
    [InlineData("""{"__metadata__":{},"__metadata__":{}}""", "found '__metadata__' twice")]
    [InlineData("""{"__metadata__":{"layers":2}}""", "value 'layers' to be a string, found a JSON number")]
    [InlineData("""{"__metadata__":"x"}""", "to be an object of strings, found a JSON string")]
    public void Open_MalformedMetadataIsRejected(string header, string expectedText)
    {
        Assert.Contains(expectedText, OpenFails(WriteRaw(header, [])).Message);
    }

    [Fact]
    public void Open_EscapedLoneSurrogateInANameIsRejected()
    {
        var error = OpenFails(WriteRaw("""{"\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]));

        Assert.Contains("found a malformed string", error.Message);
    }
}
