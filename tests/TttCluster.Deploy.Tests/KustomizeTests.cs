namespace TttCluster.Deploy.Tests;

/// <summary>k8s/: rendered by `kubectl kustomize`, with and without the GPU component, and schema-checked.</summary>
public class KustomizeTests
{
    [Fact]
    public void RenderedObjects_AreValidKubernetesObjects()
    {
        var (code, report) = Tools.Validate(Tools.Kustomize(Repo.PathOf("k8s")));
        Assert.True(code == 0, $"expected every object of `kubectl kustomize k8s/` to match the Kubernetes schemas:\n{report}");
        foreach (string expected in new[] { "Namespace/tttcluster", "ServiceAccount/tttcluster", "Role/tttcluster-orleans-hosting",
                     "RoleBinding/tttcluster-orleans-hosting", "Secret/tttcluster", "Service/tttcluster-gateway", "Deployment/tttcluster-gateway",
                     "Deployment/tttcluster-silo", "PodDisruptionBudget/tttcluster-silo", "NetworkPolicy/tttcluster-silo", "NetworkPolicy/tttcluster-gateway" })
            Assert.True(report.Contains(expected, StringComparison.Ordinal), $"expected {expected} in k8s/, found:\n{report}");
    }

    [Fact]
    public void EveryNamespacedObject_IsInTheFarmsNamespace()
    {
        var m = new Manifests(Tools.Kustomize(Repo.PathOf("k8s")));
        foreach (var o in m.Objects.Where(o => Yaml.Text(o, "kind") != "Namespace"))
            Assert.True(Yaml.Text(o, "metadata.namespace") == "tttcluster", $"expected {Yaml.Text(o, "kind")}/{Yaml.Text(o, "metadata.name")} in namespace tttcluster, found {Yaml.Text(o, "metadata.namespace") ?? "none"}");
    }

    [Fact]
    public void GpuComponent_AddsAGpuSiloPool_OnGpuNodes()
    {
        // As a user turns it on: components: [gpu] in k8s/kustomization.yaml (a copy, so the checkout stays as it is).
        string copy = Path.Combine(Path.GetTempPath(), $"ttt-k8s-{Guid.NewGuid():N}");
        try
        {
            CopyDirectory(Repo.PathOf("k8s"), copy);
            File.AppendAllText(Path.Combine(copy, "kustomization.yaml"), "components:\n  - gpu\n");
            string rendered = Tools.Kustomize(copy);
            var (code, report) = Tools.Validate(rendered);
            Assert.True(code == 0, $"expected every object of k8s/ with the gpu component to match the Kubernetes schemas:\n{report}");
            var m = new Manifests(rendered);
            var gpu = m.Single("Deployment", "-silo-gpu");
            Assert.Equal("tttcluster", Yaml.Text(gpu, "metadata.namespace"));
            var container = Manifests.Container(gpu);
            Assert.Equal("1", Yaml.Get(Yaml.At(container, "resources.limits"), "nvidia.com/gpu"));
            Assert.Equal("tttcluster:0.10.0", Yaml.Text(container, "image"));
            Assert.Equal("true", Yaml.Get(Yaml.At(gpu, "spec.template.spec.nodeSelector"), "nvidia.com/gpu.present"));
            Assert.Contains(Yaml.Maps(gpu, "spec.template.spec.tolerations"), t => Yaml.Text(t, "key") == "nvidia.com/gpu" && Yaml.Text(t, "effect") == "NoSchedule");
            Assert.Equal("gpu", Yaml.Get(Yaml.At(gpu, "spec.selector.matchLabels"), "tttcluster/pool"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Role_AllowsExactlyWhatOrleansKubernetesHostingDoesWithPods()
    {
        // KubernetesClusterAgent (Microsoft.Orleans.Hosting.Kubernetes): reads its own pod (get), patches the orleans/*
        // labels onto it (patch), lists and watches the farm's pods (list, watch). Delete only with
        // DeleteDefunctSiloPods, which stays off.
        foreach (var m in new[] { new Manifests(Tools.Kustomize(Repo.PathOf("k8s"))), new Manifests(Tools.HelmTemplate()) })
        {
            var role = m.OfKind("Role").Single();
            var rule = Yaml.Maps(role, "rules").Single();
            Assert.Equal([""], Yaml.List(rule, "apiGroups").Cast<string>());
            Assert.Equal(["pods"], Yaml.List(rule, "resources").Cast<string>());
            Assert.Equal(["get", "list", "patch", "watch"], Yaml.List(rule, "verbs").Cast<string>().Order());
            var binding = m.OfKind("RoleBinding").Single();
            Assert.Equal(Yaml.Text(role, "metadata.name"), Yaml.Text(binding, "roleRef.name"));
            string account = Yaml.Text(Yaml.Maps(binding, "subjects").Single(), "name")!;
            foreach (var (owner, spec) in m.PodSpecs().Where(p => !p.Owner.StartsWith("Pod/", StringComparison.Ordinal)))
                Assert.True(Yaml.Text(spec, "serviceAccountName") == account, $"{owner}: expected the service account {account} the Role is bound to, found {Yaml.Text(spec, "serviceAccountName") ?? "the default"}");
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}
