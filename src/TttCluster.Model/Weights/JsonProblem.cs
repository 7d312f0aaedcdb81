using System.Text.Json;

namespace TttCluster.Model.Weights;

/// <summary>
/// What was wrong with JSON inside a weights file (its header, a config in its metadata), in the project's words:
/// System.Text.Json's messages name .NET types and reader options, which mean nothing to someone holding a model file.
/// </summary>
internal static class JsonProblem
{
    /// <summary>"found" text for a failed parse or deserialisation, e.g. "an unknown field 'widht'" or "malformed JSON at line 1, byte 37 ('}' there)".</summary>
    public static string Found(JsonException e, ReadOnlySpan<byte> json = default)
    {
        string message = e.Message;
        string field = e.Path is { Length: > 2 } path ? path[2..] : "";
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
            return $"an unknown field '{field}'";
        if (message.Contains("missing required properties", StringComparison.Ordinal))
            return $"missing fields ({Quoted(message)})";
        if (message.Contains("could not be converted", StringComparison.Ordinal))
            return field.Length > 0 ? $"a value of the wrong type at '{field}'" : "a value of the wrong type";
        string where = e.LineNumber is { } line && e.BytePositionInLine is { } column
            ? $"line {line + 1}, byte {column + 1}" : "an unknown position";
        return $"malformed JSON at {where}{Around(json, e)}";
    }

    /// <summary>The names a "missing required properties including: 'a', 'b'." message lists.</summary>
    private static string Quoted(string message)
    {
        int colon = message.LastIndexOf(':');
        return colon < 0 ? "see docs/MODEL.md" : message[(colon + 1)..].Trim().TrimEnd('.');
    }

    /// <summary>" ('}' there)" for a single-line JSON (headers are one line), or nothing.</summary>
    private static string Around(ReadOnlySpan<byte> json, JsonException e)
    {
        if (json.IsEmpty || e.LineNumber != 0 || e.BytePositionInLine is not { } at) return "";
        if (at >= json.Length) return " (the end of the JSON)";
        byte b = json[(int)at];
        return b switch
        {
            (byte)' ' => " (padding: the JSON ends early)",
            >= 0x21 and < 0x7F => $" ('{(char)b}' there)",
            _ => $" (byte 0x{b:X2} there)",
        };
    }
}
