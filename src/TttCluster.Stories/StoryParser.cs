using TttCluster.Stories.Schema;
using TttCluster.Stories.Source;
using TttCluster.Stories.Syntax;

namespace TttCluster.Stories;

/// <summary>
/// Reads a story file (YAML, or JSON when the first non-blank character is '{'; see docs/STORY.md). Story files are
/// untrusted: whatever the bytes, the result is a valid <see cref="Story"/> or a <see cref="StoryValidationException"/>
/// listing every problem found, in bounded time and memory.
/// </summary>
public static class StoryParser
{
    /// <summary>Parses a story held in memory.</summary>
    /// <param name="content">The file's bytes: UTF-8, a BOM allowed.</param>
    /// <param name="sourceName">What errors call the file, e.g. "kitchen.yaml".</param>
    /// <exception cref="StoryValidationException">The story cannot be rendered; every problem is in <see cref="StoryValidationException.Errors"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="limits"/> make no sense (a caller bug).</exception>
    public static Story Parse(byte[] content, string sourceName, StoryLimits limits)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();

        var errors = new StoryErrorList(sourceName, limits.MaxErrors);
        if (content.Length > limits.MaxFileBytes)
        {
            // Before any parsing: the size bounds everything after it.
            errors.Add(null, FieldPath.Root, $"a file of at most {limits.MaxFileBytes} bytes", $"{content.Length} bytes");
            errors.ThrowIfAny();
        }

        string? text = StoryTextDecoder.Decode(content, errors, out int bomLength);
        errors.ThrowIfAny();

        SourceMap map;
        StoryNode? root;
        if (LooksLikeJson(text!))
        {
            // JSON is read from the bytes so its errors carry the JSON reader's own positions.
            var json = content.AsMemory(bomLength);
            map = SourceMap.ForUtf8(json);
            root = JsonTreeReader.Read(json.Span, map, limits, errors);
        }
        else
        {
            map = SourceMap.ForUtf16(text!);
            root = YamlTreeReader.Read(text!, map, limits, errors);
        }

        var story = root is null ? null : StoryValidator.Validate(root, map, limits, errors);
        errors.ThrowIfAny();
        return story ?? throw new InvalidOperationException($"{sourceName}: the story was rejected without a reported reason (a bug in TttCluster.Stories)");
    }

    /// <summary>Reads and parses a story file; a missing or unreadable file is a <see cref="StoryValidationException"/> too.</summary>
    /// <param name="path">The file; errors name it as given.</param>
    public static Story ParseFile(string path, StoryLimits limits)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        return Parse(StoryFileReader.Read(path, limits.MaxFileBytes), path, limits);
    }

    /// <summary>
    /// JSON is also YAML 1.2, but parsed as JSON its mistakes get JSON's messages. A '{' first is JSON (a story is a
    /// mapping); a YAML story starts with a key, a comment or '---'.
    /// </summary>
    private static bool LooksLikeJson(string text)
    {
        foreach (char c in text)
        {
            if (c is ' ' or '\t' or '\r' or '\n')
                continue;
            return c == '{';
        }
        return false;
    }
}
