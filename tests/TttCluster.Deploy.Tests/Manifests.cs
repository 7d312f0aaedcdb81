namespace TttCluster.Deploy.Tests;

/// <summary>Rendered Kubernetes objects, looked up by kind and name, and what the tests compare in pod specs.</summary>
public sealed class Manifests(string text)
{
    public List<Dictionary<object, object?>> Objects { get; } = Yaml.Documents(text);

    public string Text { get; } = text;

    public IEnumerable<Dictionary<object, object?>> OfKind(string kind) => Objects.Where(o => Yaml.Text(o, "kind") == kind);

    public IEnumerable<string> Names(string kind) => OfKind(kind).Select(o => Yaml.Text(o, "metadata.name") ?? "?");

    /// <summary>The one object of a kind whose name ends with the suffix ("-gateway", "-silo").</summary>
    public Dictionary<object, object?> Single(string kind, string nameSuffix)
    {
        var found = OfKind(kind).Where(o => (Yaml.Text(o, "metadata.name") ?? "").EndsWith(nameSuffix, StringComparison.Ordinal)).ToList();
        Assert.True(found.Count == 1, $"expected one {kind} named *{nameSuffix}, found {found.Count} among {string.Join(", ", Names(kind))}");
        return found[0];
    }

    /// <summary>Every pod spec: Deployments' templates and bare Pods (the helm test).</summary>
    public IEnumerable<(string Owner, Dictionary<object, object?> Spec)> PodSpecs() =>
        Objects.Select(o => (Owner: $"{Yaml.Text(o, "kind")}/{Yaml.Text(o, "metadata.name")}",
                             Spec: Yaml.At(o, Yaml.Text(o, "kind") == "Pod" ? "spec" : "spec.template.spec") as Dictionary<object, object?>))
            .Where(p => p.Spec is not null && Yaml.At(p.Spec, "containers") is not null)
            .Select(p => (p.Owner, p.Spec!));

    public static Dictionary<object, object?> Container(Dictionary<object, object?> deployment) =>
        Yaml.Maps(deployment, "spec.template.spec.containers").Single();

    /// <summary>The ttt option names (--x) in a container's command line, with their values.</summary>
    public static Dictionary<string, string> Options(Dictionary<object, object?> container)
    {
        var words = Yaml.List(container, "args").Select(a => a as string ?? "").ToList();
        var options = new Dictionary<string, string>();
        for (int i = 0; i < words.Count; i++)
            if (words[i].StartsWith("--", StringComparison.Ordinal)) options[words[i]] = i + 1 < words.Count ? words[i + 1] : "";
        return options;
    }
}
