using TttCluster.Stories.Source;
using TttCluster.Stories.Syntax;

namespace TttCluster.Stories.Schema;

/// <summary>
/// Checks a node tree against the story schema (docs/STORY.md) and the caller's <see cref="StoryLimits"/>, reporting
/// every problem rather than the first, and builds the <see cref="Story"/> when there are none.
/// </summary>
internal sealed class StoryValidator
{
    private static readonly string[] StoryFields = ["title", "seed", "settings", "scenes"];
    private static readonly string[] SettingsFields = ["steps", "guidance", "guidance_power"];
    private static readonly string[] SceneFields = ["text", "negative_text"];

    private readonly StoryLimits _limits;
    private readonly ValueReader _values;

    private StoryValidator(SourceMap map, StoryLimits limits, StoryErrorList errors)
    {
        _limits = limits;
        _values = new ValueReader(map, errors);
    }

    /// <summary>The story, or null when a problem was reported to <paramref name="errors"/>.</summary>
    public static Story? Validate(StoryNode root, SourceMap map, StoryLimits limits, StoryErrorList errors)
    {
        var story = new StoryValidator(map, limits, errors).ReadStory(root);
        return errors.Any ? null : story;
    }

    private Story? ReadStory(StoryNode root)
    {
        if (root is not MappingNode mapping)
        {
            _values.Report(root, FieldPath.Root, "a story: a mapping with the fields title and scenes (and optionally seed, settings)");
            return null;
        }
        var fields = new KnownFields(mapping, FieldPath.Root, StoryFields, _values);
        string? title = ReadTitle(fields);
        bool seedValid = TryReadSeed(fields["seed"], out ulong? seed);
        var settings = ReadSettings(fields["settings"]);
        var scenes = ReadScenes(fields);
        return title is null || !seedValid || settings is null || scenes is null ? null : new Story(title, seed, settings, scenes);
    }

    private string? ReadTitle(KnownFields fields)
    {
        const string path = "title";
        var node = Required(fields, path, "a non-empty string");
        string? title = node is null ? null : _values.Text(node, path, singleLine: true);
        if (title is null)
            return null;
        int length = FoundText.CodePointCount(title);
        if (length > _limits.MaxTitleLength)
        {
            _values.Report(node!.Offset, path, $"at most {_limits.MaxTitleLength} characters", $"{length} characters");
            return null;
        }
        return title;
    }

    private bool TryReadSeed(StoryNode? node, out ulong? seed)
    {
        seed = null;
        if (node is null || ValueReader.IsAbsent(node))
            return true;
        if (!_values.TryInteger(node, "seed", 0, ulong.MaxValue, out ulong value))
            return false;
        seed = value;
        return true;
    }

    private StorySettings? ReadSettings(StoryNode? node)
    {
        const string path = "settings";
        if (node is null || ValueReader.IsAbsent(node))
            return StorySettings.Defaults;
        if (node is not MappingNode mapping)
        {
            _values.Report(node, path, $"a mapping with some of the fields {string.Join(", ", SettingsFields)}");
            return null;
        }
        var fields = new KnownFields(mapping, path, SettingsFields, _values);
        bool valid = true;
        int? steps = null;
        double? guidance = null, guidancePower = null;
        if (Optional(fields, "steps") is { } stepsNode)
        {
            valid &= _values.TryInteger(stepsNode, "settings.steps", 1, (ulong)_limits.MaxSteps, out ulong value);
            steps = (int)value;
        }
        if (Optional(fields, "guidance") is { } guidanceNode)
        {
            valid &= _values.TryNumber(guidanceNode, "settings.guidance", _limits.MinGuidance, _limits.MaxGuidance, out double value);
            guidance = value;
        }
        if (Optional(fields, "guidance_power") is { } powerNode)
        {
            valid &= _values.TryNumber(powerNode, "settings.guidance_power", _limits.MinGuidancePower, _limits.MaxGuidancePower, out double value);
            guidancePower = value;
        }
        return valid ? new StorySettings(steps, guidance, guidancePower) : null;
    }

    private List<Scene>? ReadScenes(KnownFields fields)
    {
        const string path = "scenes";
        string expected = $"a list of 1 to {_limits.MaxScenes} scenes";
        var node = Required(fields, path, expected);
        if (node is null)
            return null;
        if (node is not SequenceNode { Items.Count: > 0 } list)
        {
            _values.Report(node, path, expected);
            return null;
        }
        bool valid = true;
        if (list.Items.Count > _limits.MaxScenes)
        {
            // Still check every scene below: the author fixes all of them in one go.
            _values.Report(list.Offset, path, $"at most {_limits.MaxScenes} scenes", $"{list.Items.Count} scenes");
            valid = false;
        }
        var scenes = new List<Scene>(list.Items.Count);
        for (int i = 0; i < list.Items.Count; i++)
        {
            var scene = ReadScene(list.Items[i], FieldPath.Item(path, i));
            if (scene is null)
                valid = false;
            else
                scenes.Add(scene);
        }
        return valid ? scenes : null;
    }

    private Scene? ReadScene(StoryNode node, string path)
    {
        if (node is not MappingNode mapping)
        {
            _values.Report(node, path, "a scene: a mapping with the field text (and optionally negative_text)");
            return null;
        }
        var fields = new KnownFields(mapping, path, SceneFields, _values);
        string textPath = FieldPath.Child(path, "text");
        var textNode = Required(fields, textPath, "a non-empty string", "text");
        string? text = textNode is null ? null : ReadPrompt(textNode, textPath);

        string? negativeText = null;
        bool negativeValid = true;
        var negativeNode = Optional(fields, "negative_text");
        // An empty negative_text asks for nothing, the same as none.
        bool blank = negativeNode is ScalarNode { Kind: ScalarKind.String } negative && string.IsNullOrWhiteSpace(negative.Value);
        if (negativeNode is not null && !blank)
        {
            negativeText = ReadPrompt(negativeNode, FieldPath.Child(path, "negative_text"));
            negativeValid = negativeText is not null;
        }
        return text is null || !negativeValid ? null : new Scene(text, negativeText);
    }

    /// <summary>A scene's text or negative text: non-empty, printable and within the model's token budget.</summary>
    private string? ReadPrompt(StoryNode node, string path)
    {
        string? text = _values.Text(node, path);
        if (text is null)
            return null;
        int tokens = _limits.CountTokens(text);
        if (tokens > _limits.MaxTextTokens)
        {
            _values.Report(node.Offset, path, $"at most {_limits.MaxTextTokens} tokens", $"{tokens} tokens");
            return null;
        }
        return text;
    }

    /// <summary>The field's node, or null after reporting it missing (unless an unknown field was already reported as its misspelling).</summary>
    private StoryNode? Required(KnownFields fields, string path, string expected, string? name = null)
    {
        name ??= path;
        var node = fields[name];
        if (node is null && !fields.WasMisspelled(name))
            _values.Report(fields.Mapping.Offset, path, expected, ValueReader.MissingField);
        return node;
    }

    /// <summary>The field's node, or null when it is not there or written as null/empty.</summary>
    private static StoryNode? Optional(KnownFields fields, string name) =>
        fields[name] is { } node && !ValueReader.IsAbsent(node) ? node : null;
}
