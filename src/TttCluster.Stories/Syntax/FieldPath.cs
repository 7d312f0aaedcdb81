namespace TttCluster.Stories.Syntax;

/// <summary>Field paths as errors print them: <c>title</c>, <c>settings.steps</c>, <c>scenes[2].negative_text</c>.</summary>
internal static class FieldPath
{
    /// <summary>The path of the document itself: errors about it print no field.</summary>
    public const string Root = "";

    public static string Child(string parent, string key) =>
        parent.Length == 0 ? FoundText.Name(key) : $"{parent}.{FoundText.Name(key)}";

    public static string Item(string parent, int index) => $"{parent}[{index}]";
}
