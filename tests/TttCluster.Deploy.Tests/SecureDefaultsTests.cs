namespace TttCluster.Deploy.Tests;

/// <summary>
/// Every pod the chart (default values, and GPU + Ingress) and k8s/ run is locked down: non-root, the runtime's
/// seccomp profile, no privilege escalation, no capabilities, a read-only root with /tmp writable, resources set.
/// </summary>
public class SecureDefaultsTests
{
    public static TheoryData<string> Sources => new() { "helm", "helm-gpu-ingress", "k8s" };

    [Theory]
    [MemberData(nameof(Sources))]
    public void EveryPod_RunsNonRoot_ReadOnly_WithoutPrivilegeEscalation(string source)
    {
        var m = Render(source);
        var pods = m.PodSpecs().ToList();
        Assert.NotEmpty(pods);
        foreach (var (owner, spec) in pods)
        {
            string where = $"{source} {owner}";
            Assert.True(Yaml.Text(spec, "securityContext.runAsNonRoot") == "true", $"{where}: expected securityContext.runAsNonRoot true, found {Yaml.Describe(Yaml.At(spec, "securityContext.runAsNonRoot"))}");
            Assert.True(int.TryParse(Yaml.Text(spec, "securityContext.runAsUser"), out int uid) && uid != 0, $"{where}: expected a numeric non-root runAsUser (the image's 1654), found {Yaml.Describe(Yaml.At(spec, "securityContext.runAsUser"))}");
            Assert.True(Yaml.Text(spec, "securityContext.seccompProfile.type") == "RuntimeDefault", $"{where}: expected seccompProfile RuntimeDefault, found {Yaml.Describe(Yaml.At(spec, "securityContext.seccompProfile"))}");
            foreach (var container in Yaml.Maps(spec, "containers"))
            {
                string c = $"{where} container {Yaml.Text(container, "name")}";
                Assert.True(Yaml.Text(container, "securityContext.allowPrivilegeEscalation") == "false", $"{c}: expected allowPrivilegeEscalation false, found {Yaml.Describe(Yaml.At(container, "securityContext.allowPrivilegeEscalation"))}");
                Assert.True(Yaml.Text(container, "securityContext.readOnlyRootFilesystem") == "true", $"{c}: expected readOnlyRootFilesystem true, found {Yaml.Describe(Yaml.At(container, "securityContext.readOnlyRootFilesystem"))}");
                Assert.True(Yaml.List(container, "securityContext.capabilities.drop").Contains("ALL"), $"{c}: expected capabilities.drop [ALL], found {Yaml.Describe(Yaml.At(container, "securityContext.capabilities"))}");
                // .NET needs a writable /tmp; with a read-only root only a mounted volume gives one.
                Assert.True(Yaml.Maps(container, "volumeMounts").Any(v => Yaml.Text(v, "mountPath") == "/tmp"), $"{c}: expected a volume at /tmp (the root file system is read-only), found none");
                Assert.True(Yaml.At(container, "resources.requests.memory") is not null && Yaml.At(container, "resources.limits.memory") is not null,
                    $"{c}: expected memory requests and limits, found {Yaml.Describe(Yaml.At(container, "resources"))}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void FarmPods_HaveReadinessAndLivenessProbes(string source)
    {
        foreach (var deployment in Render(source).OfKind("Deployment"))
        {
            var container = Manifests.Container(deployment);
            foreach (string probe in new[] { "readinessProbe", "livenessProbe" })
                Assert.True(Yaml.At(container, probe) is not null, $"{source} {Yaml.Text(deployment, "metadata.name")}: expected a {probe}, found none");
        }
    }

    private static Manifests Render(string source) => new(source switch
    {
        "helm" => Tools.HelmTemplate(),
        "helm-gpu-ingress" => Tools.HelmTemplate("helm/tttcluster/ci/gpu-ingress-values.yaml"),
        _ => Tools.Kustomize(Repo.PathOf("k8s")),
    });
}
