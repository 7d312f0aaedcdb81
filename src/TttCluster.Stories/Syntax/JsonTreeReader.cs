using System.Text;
using System.Text.Json;
using TttCluster.Stories.Source;

namespace TttCluster.Stories.Syntax;

/// <summary>
/// Builds the node tree of a JSON story with <see cref="Utf8JsonReader"/>, so JSON mistakes get JSON's own messages
/// and positions, and the same depth, node-count and duplicate-key rules as YAML apply. Strict RFC 8259: no comments,
/// no trailing commas, one value.
/// </summary>
internal sealed class JsonTreeReader
{
    private readonly SourceMap _map;
    private readonly StoryLimits _limits;
    private readonly StoryErrorList _errors;
    private int _nodeCount;

    private JsonTreeReader(SourceMap map, StoryLimits limits, StoryErrorList errors)
    {
        _map = map;
        _limits = limits;
        _errors = errors;
    }

    /// <summary>The root node, or null when the text is not valid JSON (the reason is in <paramref name="errors"/>).</summary>
    /// <param name="json">UTF-8 without BOM; <paramref name="map"/> maps byte offsets into it.</param>
    public static StoryNode? Read(ReadOnlySpan<byte> json, SourceMap map, StoryLimits limits, StoryErrorList errors)
    {
        // One level more than ours, so our depth check (with its message) fires before the reader's.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = limits.MaxDepth + 1 });
        var tree = new JsonTreeReader(map, limits, errors);
        try
        {
            reader.Read();
            var root = tree.ReadValue(ref reader, FieldPath.Root, depth: 1);
            // Trailing content (a second value) makes Read throw; reaching the end returns false.
            reader.Read();
            return root;
        }
        catch (JsonException e)
        {
            long offset = map.OffsetOf(e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
            var (expected, found) = JsonSyntaxError.Describe(json, offset, reader.TokenType, reader.CurrentDepth);
            errors.Add(map, offset, FieldPath.Root, expected, found);
            return null;
        }
        catch (StoryAbortedException)
        {
            return null;
        }
    }

    private StoryNode ReadValue(ref Utf8JsonReader reader, string path, int depth)
    {
        int offset = (int)reader.TokenStartIndex;
        CountNode(offset, path);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                CheckDepth(offset, path, depth);
                return ReadObject(ref reader, path, depth);
            case JsonTokenType.StartArray:
                CheckDepth(offset, path, depth);
                var items = new List<StoryNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    items.Add(ReadValue(ref reader, FieldPath.Item(path, items.Count), depth + 1));
                return new SequenceNode(offset, items);
            case JsonTokenType.String:
                string? text = GetString(ref reader, path);
                return text is null ? new RejectedNode(offset) : new ScalarNode(offset, text, ScalarKind.String);
            case JsonTokenType.Number:
                return new ScalarNode(offset, Encoding.UTF8.GetString(reader.ValueSpan), ScalarKind.Number);
            case JsonTokenType.True or JsonTokenType.False:
                return new ScalarNode(offset, reader.GetBoolean() ? "true" : "false", ScalarKind.Boolean);
            default:
                // Null: the reader validates tokens, so nothing else starts a value here.
                return new ScalarNode(offset, "null", ScalarKind.Null);
        }
    }

    private MappingNode ReadObject(ref Utf8JsonReader reader, string path, int depth)
    {
        int offset = (int)reader.TokenStartIndex;
        var mapping = new MappingBuilder(_map, _errors);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int keyOffset = (int)reader.TokenStartIndex;
            CountNode(keyOffset, path);
            string? key = GetString(ref reader, path);
            string valuePath = key is null ? path : FieldPath.Child(path, key);
            reader.Read();
            var value = ReadValue(ref reader, valuePath, depth + 1);
            if (key is not null)
                mapping.Add(key, keyOffset, value, valuePath);
        }
        return mapping.Build(offset);
    }

    /// <summary>The string, or null after reporting one that is not valid Unicode ("\ud800" alone decodes to nothing).</summary>
    private string? GetString(ref Utf8JsonReader reader, string path)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            _errors.Add(_map, reader.TokenStartIndex, path, "a string of valid Unicode",
                "an escaped lone surrogate (a \\uD800-\\uDFFF escape without its pair)");
            return null;
        }
    }

    private void CountNode(int offset, string path)
    {
        if (++_nodeCount > _limits.MaxNodes)
            throw Abort(offset, path, $"at most {_limits.MaxNodes} values in one story file", "more");
    }

    private void CheckDepth(int offset, string path, int depth)
    {
        if (depth > _limits.MaxDepth)
            throw Abort(offset, path, $"at most {_limits.MaxDepth} levels of nested lists and mappings", "deeper nesting");
    }

    /// <summary>Reports a problem the reader cannot go past; the caller throws what this returns.</summary>
    private StoryAbortedException Abort(int offset, string path, string expected, string found)
    {
        _errors.Add(_map, offset, path, expected, found);
        return new StoryAbortedException();
    }
}
