using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace TttCluster.Deploy.Tests;

/// <summary>
/// YAML read as plain values (maps, lists, strings), the way kubectl and compose see it, and small accessors that fail
/// with the path they were looking for.
/// </summary>
public static class Yaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    /// <summary>Every non-empty document of a multi-document stream (helm template, kubectl kustomize output).</summary>
    public static List<Dictionary<object, object?>> Documents(string text)
    {
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object?>>();
        while (parser.Accept<DocumentStart>(out _))
            if (Deserializer.Deserialize<object?>(parser) is Dictionary<object, object?> document) documents.Add(document);
        return documents;
    }

    public static Dictionary<object, object?> Document(string text) =>
        Documents(text) is [var only] ? only : throw new InvalidDataException($"expected one YAML document, found {Documents(text).Count}");

    /// <summary>The value at a dotted path ("spec.template.spec"), or null when any part is missing.</summary>
    public static object? At(object? node, string path)
    {
        foreach (string key in path.Split('.'))
        {
            if (node is not Dictionary<object, object?> map || !map.TryGetValue(key, out node)) return null;
        }
        return node;
    }

    /// <summary>The value under these keys, one level each (for keys with dots: "nvidia.com/gpu", "helm.sh/hook").</summary>
    public static object? Get(object? node, params string[] keys)
    {
        foreach (string key in keys)
        {
            if (node is not Dictionary<object, object?> map || !map.TryGetValue(key, out node)) return null;
        }
        return node;
    }

    public static Dictionary<object, object?> Map(object? node, string path) =>
        At(node, path) as Dictionary<object, object?> ?? throw new InvalidDataException($"expected a map at {path}, found {Describe(At(node, path))}");

    public static List<object?> List(object? node, string path) =>
        At(node, path) as List<object?> ?? [];

    public static string? Text(object? node, string path) => At(node, path) as string;

    public static IEnumerable<Dictionary<object, object?>> Maps(object? node, string path) =>
        List(node, path).OfType<Dictionary<object, object?>>();

    public static string Describe(object? node) => node switch
    {
        null => "nothing",
        string s => $"\"{s}\"",
        List<object?> l => $"a list of {l.Count}",
        Dictionary<object, object?> m => $"a map of {string.Join(", ", m.Keys)}",
        _ => node.ToString() ?? "?",
    };
}
