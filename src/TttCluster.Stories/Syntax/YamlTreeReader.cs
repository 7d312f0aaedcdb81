using TttCluster.Stories.Source;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace TttCluster.Stories.Syntax;

/// <summary>
/// Builds the node tree of a YAML story from YamlDotNet's event stream (not its deserializer), so every limit is ours:
/// the first anchor or alias stops the reading rather than being expanded (no "billion laughs"), nesting depth and node count are
/// bounded, duplicate keys and extra documents are reported, and no YamlDotNet exception escapes.
/// </summary>
internal sealed class YamlTreeReader
{
    private const string NoAnchors = "no anchors or aliases (they are not supported, and a story never needs them: write the value out)";

    private readonly Scanner _scanner;
    private readonly Parser _parser;
    private readonly SourceMap _map;
    private readonly StoryLimits _limits;
    private readonly StoryErrorList _errors;
    private int _nodeCount;

    private YamlTreeReader(string text, SourceMap map, StoryLimits limits, StoryErrorList errors)
    {
        _scanner = new Scanner(new StringReader(text), skipComments: true);
        _parser = new Parser(_scanner);
        _map = map;
        _limits = limits;
        _errors = errors;
    }

    /// <summary>The document's root node, or null when the file cannot be read as one (the reason is in <paramref name="errors"/>).</summary>
    public static StoryNode? Read(string text, SourceMap map, StoryLimits limits, StoryErrorList errors)
    {
        try
        {
            return new YamlTreeReader(text, map, limits, errors).ReadStream();
        }
        catch (StoryAbortedException)
        {
            return null;
        }
    }

    private StoryNode? ReadStream()
    {
        Next();   // StreamStart
        if (Next() is StreamEnd)
        {
            _errors.Add(null, FieldPath.Root, "a story: a mapping with title and scenes", "an empty file (only whitespace or comments)");
            return null;
        }
        // The event just read is a DocumentStart: the parser emits nothing else after StreamStart.
        var root = ReadNode(Next(), FieldPath.Root, depth: 1);
        Next();   // DocumentEnd
        if (Next() is DocumentStart second)
            _errors.Add(_map, Offset(second.Start), FieldPath.Root, "one YAML document per story file",
                "a second document (a '---' line after the story; split it into its own file)");
        return root;
    }

    private StoryNode ReadNode(ParsingEvent node, string path, int depth)
    {
        int offset = Offset(node.Start);
        if (++_nodeCount > _limits.MaxNodes)
            throw Abort(node.Start, path, $"at most {_limits.MaxNodes} values in one story file", "more");

        // The first anchor or alias ends the reading: one line says they are not supported, instead of one line for
        // each of the hundreds a YAML bomb holds.
        if (node is AnchorAlias alias)
            throw Abort(node.Start, path, NoAnchors, $"alias *{FoundText.Name(alias.Value.Value)}");
        if (node is not NodeEvent nodeEvent)
        {
            // An end event where a value belongs: the parser produced a stream that is not well formed.
            throw Abort(node.Start, path, "valid YAML", "a syntax error near here");
        }
        if (!nodeEvent.Anchor.IsEmpty)
            throw Abort(node.Start, path, NoAnchors, $"anchor &{FoundText.Name(nodeEvent.Anchor.Value)}");
        // A tag would change what a value means (e.g. !!str 42); a story never needs one, so say so rather than guess.
        bool tagged = !nodeEvent.Tag.IsEmpty;
        if (tagged)
            _errors.Add(_map, offset, path, "no tags (quote a value to make it a string)", $"tag {FoundText.Name(nodeEvent.Tag.Value)}");

        StoryNode read = node switch
        {
            Scalar scalar => new ScalarNode(offset, scalar.Value, YamlScalarResolver.Resolve(scalar)),
            SequenceStart => ReadSequence(node, path, depth),
            _ => ReadMapping(node, path, depth),   // MappingStart: the only node event left
        };
        return tagged ? new RejectedNode(offset) : read;
    }

    private SequenceNode ReadSequence(ParsingEvent start, string path, int depth)
    {
        CheckDepth(start, path, depth);
        var items = new List<StoryNode>();
        for (var item = Next(); item is not SequenceEnd; item = Next())
            items.Add(ReadNode(item, FieldPath.Item(path, items.Count), depth + 1));
        return new SequenceNode(Offset(start.Start), items);
    }

    private MappingNode ReadMapping(ParsingEvent start, string path, int depth)
    {
        CheckDepth(start, path, depth);
        var mapping = new MappingBuilder(_map, _errors);
        for (var keyEvent = Next(); keyEvent is not MappingEnd; keyEvent = Next())
        {
            int keyOffset = Offset(keyEvent.Start);
            var keyNode = ReadNode(keyEvent, path, depth + 1);
            string? key = keyNode switch
            {
                ScalarNode scalar => scalar.Value,
                RejectedNode => null,   // already reported
                _ => ReportComplexKey(keyEvent, path, keyNode),
            };
            string valuePath = key is null ? path : FieldPath.Child(path, key);
            var valueEvent = Next();
            // YamlDotNet 16.3 can end a mapping right after a key, with no value event, e.g. for "? : 42".
            if (valueEvent is MappingEnd)
                throw Abort(keyEvent.Start, path, "valid YAML", "a syntax error near here (a key without a value)");
            var value = ReadNode(valueEvent, valuePath, depth + 1);
            // "text:" with nothing after it: YamlDotNet places the empty value where the next token starts, often the
            // next line, so point at the key instead.
            if (value is ScalarNode { Kind: ScalarKind.Null, Value: "" })
                value = value with { Offset = keyOffset };

            if (key is not null)
                mapping.Add(key, keyOffset, value, valuePath);
        }
        return mapping.Build(Offset(start.Start));
    }

    private string? ReportComplexKey(ParsingEvent keyEvent, string path, StoryNode keyNode)
    {
        _errors.Add(_map, Offset(keyEvent.Start), path, "a field name", $"{FoundText.Describe(keyNode)} used as a key");
        return null;
    }

    private void CheckDepth(ParsingEvent start, string path, int depth)
    {
        if (depth > _limits.MaxDepth)
            throw Abort(start.Start, path, $"at most {_limits.MaxDepth} levels of nested lists and mappings", "deeper nesting");
    }

    /// <summary>The next event. Any failure inside YamlDotNet is a syntax problem of the file, reported with its position.</summary>
    private ParsingEvent Next()
    {
        try
        {
            if (_parser.MoveNext())
                return _parser.Current!;
        }
        catch (YamlException e)
        {
            throw Abort(e.Start, FieldPath.Root, "valid YAML", $"a syntax error ({Sentence(e.Message)})");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // YamlDotNet 16.3 throws InvalidOperationException on some malformed flow collections, e.g. "a: [1, 2\nb: 3".
            throw Abort(_scanner.CurrentPosition, FieldPath.Root, "valid YAML",
                "a syntax error near here (look for an unclosed bracket or quote, or wrong indentation)");
        }
        // The parser ends with StreamEnd and is never asked past it; reaching here means the stream stopped early.
        throw Abort(_scanner.CurrentPosition, FieldPath.Root, "valid YAML", "the end of the file in the middle of a value");
    }

    /// <summary>"While scanning a quoted scalar, found unexpected end of stream." reads better mid-sentence without the capital and period.</summary>
    private static string Sentence(string message)
    {
        string trimmed = message.Trim().TrimEnd('.');
        return trimmed.Length == 0 ? "no details" : FoundText.Message(char.ToLowerInvariant(trimmed[0]) + trimmed[1..]);
    }

    /// <summary>Reports a problem the reader cannot go past; the caller throws what this returns.</summary>
    private StoryAbortedException Abort(Mark at, string path, string expected, string found)
    {
        _errors.Add(_map, Offset(at), path, expected, found);
        return new StoryAbortedException();
    }

    private static int Offset(Mark mark) => (int)mark.Index;
}
