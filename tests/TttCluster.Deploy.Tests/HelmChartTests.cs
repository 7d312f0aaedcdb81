using System.Text.RegularExpressions;

namespace TttCluster.Deploy.Tests;

/// <summary>helm/tttcluster: lint, render with the default values and the GPU + Ingress values, schema-check every object.</summary>
public class HelmChartTests
{
    private const string GpuIngressValues = "helm/tttcluster/ci/gpu-ingress-values.yaml";

    [Theory]
    [InlineData(null)]
    [InlineData(GpuIngressValues)]
    public void Chart_PassesHelmLint(string? valuesFile)
    {
        var args = new List<string> { "lint", Repo.PathOf("helm/tttcluster") };
        if (valuesFile is not null) args.AddRange(["-f", Repo.PathOf(valuesFile)]);
        string output = Tools.Ok(Tools.Helm, args);
        Assert.Contains("0 chart(s) failed", output);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(GpuIngressValues)]
    public void RenderedObjects_AreValidKubernetesObjects(string? valuesFile)
    {
        string rendered = valuesFile is null ? Tools.HelmTemplate() : Tools.HelmTemplate(valuesFile);
        var (code, report) = Tools.Validate(rendered);
        Assert.True(code == 0, $"expected every object of the chart ({valuesFile ?? "default values"}) to match the Kubernetes schemas:\n{report}");
        Assert.Contains("Deployment/farm-tttcluster-gateway", report);
        Assert.Contains("Deployment/farm-tttcluster-silo", report);
    }

    [Fact]
    public void DefaultValues_RenderTheFarmWithoutGpuOrIngress()
    {
        var m = new Manifests(Tools.HelmTemplate());
        Assert.Equal(["farm-tttcluster-gateway", "farm-tttcluster-silo"], m.Names("Deployment").Order());
        Assert.Empty(m.OfKind("Ingress"));
        Assert.Single(m.OfKind("Role"));
        Assert.Single(m.OfKind("RoleBinding"));
        Assert.Equal(2, m.OfKind("NetworkPolicy").Count());
        Assert.DoesNotContain("nvidia.com/gpu", m.Text);
    }

    [Fact]
    public void GpuValues_AddAGpuSiloPool_OnGpuNodes()
    {
        var m = new Manifests(Tools.HelmTemplate(GpuIngressValues));
        var gpu = m.Single("Deployment", "-silo-gpu");
        var container = Manifests.Container(gpu);
        Assert.Equal("1", Yaml.Get(Yaml.At(container, "resources.limits"), "nvidia.com/gpu"));
        Assert.Equal("true", Yaml.Get(Yaml.At(gpu, "spec.template.spec.nodeSelector"), "nvidia.com/gpu.present"));
        Assert.Contains(Yaml.Maps(gpu, "spec.template.spec.tolerations"), t => Yaml.Text(t, "key") == "nvidia.com/gpu" && Yaml.Text(t, "effect") == "NoSchedule");
        // The CPU pool stays as it was: no GPU asked for, no GPU node required.
        var cpu = m.Single("Deployment", "-silo");
        Assert.DoesNotContain("nvidia.com/gpu", string.Join(" ", Yaml.Map(Manifests.Container(cpu), "resources.limits").Keys));
        Assert.Null(Yaml.At(cpu, "spec.template.spec.nodeSelector"));
        // Its own share of the segments, and a pool label that keeps the two Deployments' pods apart.
        Assert.Equal("4", Manifests.Options(container)["--capacity"]);
        Assert.Equal("gpu", Yaml.Get(Yaml.At(gpu, "spec.selector.matchLabels"), "tttcluster/pool"));
        Assert.Equal("cpu", Yaml.Get(Yaml.At(cpu, "spec.selector.matchLabels"), "tttcluster/pool"));
    }

    [Fact]
    public void IngressValues_RouteTheHostToTheGatewayHttpPort()
    {
        var m = new Manifests(Tools.HelmTemplate(GpuIngressValues));
        var ingress = m.Single("Ingress", "-gateway");
        Assert.Equal("nginx", Yaml.Text(ingress, "spec.ingressClassName"));
        var rule = Yaml.Maps(ingress, "spec.rules").Single();
        Assert.Equal("ttt.example.com", Yaml.Text(rule, "host"));
        var backend = Yaml.Maps(rule, "http.paths").Single();
        Assert.Equal("farm-tttcluster-gateway", Yaml.Text(backend, "backend.service.name"));
        Assert.Equal("http", Yaml.Text(backend, "backend.service.port.name"));
        Assert.Equal("ttt-example-tls", Yaml.Text(Yaml.Maps(ingress, "spec.tls").Single(), "secretName"));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void PodDisruptionBudgets_OnlyWithMoreThanOneReplica(int replicas, bool expected)
    {
        var m = new Manifests(Tools.HelmTemplateWith([], [$"silo.replicas={replicas}", $"gateway.replicas={replicas}", "gpu.enabled=true", $"gpu.replicas={replicas}"]));
        var budgets = m.Names("PodDisruptionBudget").Order().ToList();
        string[] wanted = expected ? ["farm-tttcluster-gateway", "farm-tttcluster-silo", "farm-tttcluster-silo-gpu"] : [];
        Assert.True(budgets.SequenceEqual(wanted),
            $"expected {(expected ? "a PodDisruptionBudget for the gateway, the silos and the GPU silos" : "no PodDisruptionBudget")} with {replicas} replica(s), found [{string.Join(", ", budgets)}]");
        if (expected)
            foreach (var pdb in m.OfKind("PodDisruptionBudget"))
            {
                string name = Yaml.Text(pdb, "metadata.name")!;
                var target = m.OfKind("Deployment").Single(d => Yaml.Text(d, "metadata.name") == name);
                Assert.Equal(Yaml.Map(target, "spec.selector.matchLabels").OrderBy(p => p.Key), Yaml.Map(pdb, "spec.selector.matchLabels").OrderBy(p => p.Key));
            }
    }

    [Fact]
    public void ExistingSecret_ReplacesTheChartsSecret_Everywhere()
    {
        var m = new Manifests(Tools.HelmTemplateWith([], ["existingSecret=studio-farm"]));
        Assert.Empty(m.OfKind("Secret"));
        foreach (var (owner, spec) in m.PodSpecs())
        {
            foreach (var container in Yaml.Maps(spec, "containers"))
                foreach (var env in Yaml.Maps(container, "env").Where(e => Yaml.At(e, "valueFrom.secretKeyRef") is not null))
                    Assert.True(Yaml.Text(env, "valueFrom.secretKeyRef.name") == "studio-farm", $"{owner}: expected {Yaml.Text(env, "name")} from the Secret studio-farm, found {Yaml.Text(env, "valueFrom.secretKeyRef.name")}");
            foreach (var volume in Yaml.Maps(spec, "volumes").Where(v => Yaml.At(v, "secret") is not null))
                Assert.True(Yaml.Text(volume, "secret.secretName") == "studio-farm", $"{owner}: expected volume {Yaml.Text(volume, "name")} from the Secret studio-farm, found {Yaml.Text(volume, "secret.secretName")}");
        }
    }

    [Fact]
    public void WithoutKeysOrStorage_TheSecretHoldsAGeneratedKey_AndAStorageValueThatStopsTheFarm()
    {
        var secret = new Manifests(Tools.HelmTemplate()).Single("Secret", "farm-tttcluster");
        string keys = Yaml.Text(secret, "stringData.api-keys") ?? "";
        // ttt serve --keys: "TENANT KEY" with a key of at least 16 characters.
        Assert.Matches(new Regex(@"^default [A-Za-z0-9]{32}\n?$"), keys);
        // Empty, TTT_STORAGE would make ttt serve keep stories in its own pod's folder; this value fails its check.
        Assert.StartsWith("UNSET", Yaml.Text(secret, "stringData.TTT_STORAGE"));
    }

    [Fact]
    public void HelmTest_SubmitsATinyStory_ToTheGatewayService()
    {
        var m = new Manifests(Tools.HelmTemplate());
        var pod = m.OfKind("Pod").Single();
        Assert.Equal("test", Yaml.Get(Yaml.At(pod, "metadata.annotations"), "helm.sh/hook"));
        var container = Yaml.Maps(pod, "spec.containers").Single();
        string command = string.Join(" ", Yaml.List(container, "command"));
        Assert.Contains("ttt submit /story/tiny.yaml --watch", command);
        var server = Yaml.Maps(container, "env").Single(e => Yaml.Text(e, "name") == "TTT_SERVER");
        Assert.Equal("http://farm-tttcluster-gateway:8080", Yaml.Text(server, "value"));
        var story = m.Single("ConfigMap", "-test-story");
        var scenes = Yaml.List(Yaml.Document(Yaml.Get(story, "data", "tiny.yaml") as string ?? ""), "scenes");
        Assert.Single(scenes);
    }

    [Fact]
    public void EveryValue_IsDocumented()
    {
        // ingress-nginx's convention (helm-docs): a "# --" comment right above every value. A value may be a whole map
        // (resources:, podSecurityContext:), whose keys then need none; a key that only groups others (image:) needs
        // none either, its keys do.
        string[] lines = Repo.Read("helm/tttcluster/values.yaml").Split('\n');
        var keys = lines.Select((line, index) => (Match: Regex.Match(line, @"^(\s*)([A-Za-z][\w./-]*):"), Index: index))
            .Where(k => k.Match.Success)
            .Select(k => (k.Index, Indent: k.Match.Groups[1].Length, Key: k.Match.Groups[2].Value, Documented: CommentAbove(lines, k.Index).Any(c => c.StartsWith("# --", StringComparison.Ordinal))))
            .ToList();
        var undocumented = new List<string>();
        var path = new List<(int Indent, string Key)>();
        int skipDeeperThan = int.MaxValue;   // inside a value documented as a whole
        for (int i = 0; i < keys.Count; i++)
        {
            var (_, indent, key, documented) = keys[i];
            if (indent > skipDeeperThan) continue;
            skipDeeperThan = int.MaxValue;
            path.RemoveAll(p => p.Indent >= indent);
            bool groupsOthers = i + 1 < keys.Count && keys[i + 1].Indent > indent;
            if (documented) skipDeeperThan = indent;
            else if (!groupsOthers) undocumented.Add(string.Join(".", path.Select(p => p.Key).Append(key)));
            path.Add((indent, key));
        }
        Assert.True(undocumented.Count == 0, $"expected a \"# --\" comment above every value in helm/tttcluster/values.yaml, found none above: {string.Join(", ", undocumented)}");
        Assert.True(keys.Count(k => k.Documented) >= 40, $"expected the chart's values documented one by one, found {keys.Count(k => k.Documented)} \"# --\" comments");
    }

    private static IEnumerable<string> CommentAbove(string[] lines, int index)
    {
        for (int j = index - 1; j >= 0 && lines[j].TrimStart().StartsWith('#'); j--) yield return lines[j].Trim();
    }
}
