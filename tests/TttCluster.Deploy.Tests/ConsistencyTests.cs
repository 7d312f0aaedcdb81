namespace TttCluster.Deploy.Tests;

/// <summary>
/// helm/tttcluster (default values) and k8s/ describe the same farm: the same programs with the same options, ports,
/// Orleans labels, environment and probes. A change to one without the other fails here.
/// </summary>
public class ConsistencyTests
{
    // Rendered once for the class, on first use (inside a test, so a missing tool fails with its own message).
    private static readonly Lazy<Manifests> ChartOnce = new(() => new Manifests(Tools.HelmTemplate()));
    private static readonly Lazy<Manifests> PlainOnce = new(() => new Manifests(Tools.Kustomize(Repo.PathOf("k8s"))));
    private static Manifests Chart => ChartOnce.Value;
    private static Manifests Plain => PlainOnce.Value;

    [Theory]
    [InlineData("-gateway")]
    [InlineData("-silo")]
    public void Deployments_AgreeOnPortsLabelsEnvironmentAndProbes(string component)
    {
        var chart = Chart.Single("Deployment", component);
        var plain = Plain.Single("Deployment", component);
        var (c, p) = (Manifests.Container(chart), Manifests.Container(plain));
        string what = $"Deployment *{component}";

        Same(what, "replicas", Yaml.Text(chart, "spec.replicas"), Yaml.Text(plain, "spec.replicas"));
        Same(what, "command", string.Join(" ", Yaml.List(c, "command")), string.Join(" ", Yaml.List(p, "command")));
        Same(what, "options", Describe(Manifests.Options(c)), Describe(Manifests.Options(p)));
        Same(what, "container ports", Ports(c), Ports(p));
        foreach (string label in new[] { "orleans/serviceId", "orleans/clusterId", "app.kubernetes.io/component", "app.kubernetes.io/name" })
            Same(what, $"pod label {label}", Yaml.Get(Yaml.At(chart, "spec.template.metadata.labels"), label), Yaml.Get(Yaml.At(plain, "spec.template.metadata.labels"), label));
        Same(what, "environment", Environment(c), Environment(p));
        foreach (string probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
            Same(what, probe, Probe(Yaml.At(c, probe)), Probe(Yaml.At(p, probe)));
        Same(what, "resources", Yaml.Describe(Yaml.At(c, "resources")) + Flat(Yaml.At(c, "resources")), Yaml.Describe(Yaml.At(p, "resources")) + Flat(Yaml.At(p, "resources")));
        Same(what, "volume mounts", string.Join(", ", Yaml.Maps(c, "volumeMounts").Select(m => $"{Yaml.Text(m, "name")}:{Yaml.Text(m, "mountPath")}")),
            string.Join(", ", Yaml.Maps(p, "volumeMounts").Select(m => $"{Yaml.Text(m, "name")}:{Yaml.Text(m, "mountPath")}")));
        Same(what, "termination grace", Yaml.Text(chart, "spec.template.spec.terminationGracePeriodSeconds"), Yaml.Text(plain, "spec.template.spec.terminationGracePeriodSeconds"));
    }

    [Fact]
    public void OrleansLabels_MatchTheOrleansEnvironment_AndTttsDefaults()
    {
        // Orleans' Kubernetes hosting takes ServiceId/ClusterId from ORLEANS_SERVICE_ID/ORLEANS_CLUSTER_ID and finds the
        // farm's pods by the labels: the two must agree, and equal ttt's own ids (SiloSetup.DefaultServiceId/ClusterId),
        // which ttt serve's silo uses.
        foreach (var (source, m) in new[] { ("helm", Chart), ("k8s", Plain) })
            foreach (var deployment in m.OfKind("Deployment"))
            {
                var labels = Yaml.At(deployment, "spec.template.metadata.labels");
                var env = Yaml.Maps(Manifests.Container(deployment), "env").ToDictionary(e => Yaml.Text(e, "name")!, e => Yaml.Text(e, "value"));
                string name = $"{source} {Yaml.Text(deployment, "metadata.name")}";
                Assert.True(Yaml.Get(labels, "orleans/serviceId") as string == "tttcluster" && env.GetValueOrDefault("ORLEANS_SERVICE_ID") == "tttcluster",
                    $"{name}: expected orleans/serviceId and ORLEANS_SERVICE_ID tttcluster, found {Yaml.Get(labels, "orleans/serviceId")} and {env.GetValueOrDefault("ORLEANS_SERVICE_ID")}");
                Assert.True(Yaml.Get(labels, "orleans/clusterId") as string == "ttt" && env.GetValueOrDefault("ORLEANS_CLUSTER_ID") == "ttt",
                    $"{name}: expected orleans/clusterId and ORLEANS_CLUSTER_ID ttt, found {Yaml.Get(labels, "orleans/clusterId")} and {env.GetValueOrDefault("ORLEANS_CLUSTER_ID")}");
                foreach (var (variable, field) in new[] { ("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP") })
                {
                    var entry = Yaml.Maps(Manifests.Container(deployment), "env").SingleOrDefault(e => Yaml.Text(e, "name") == variable);
                    Assert.True(entry is not null && Yaml.Text(entry, "valueFrom.fieldRef.fieldPath") == field, $"{name}: expected {variable} from the downward API's {field}, found {Yaml.Describe(entry)}");
                }
            }
        string setup = Repo.Read("src/TttCluster.Grains/SiloSetup.cs");
        Assert.Contains("DefaultClusterId = \"ttt\"", setup);
        Assert.Contains("DefaultServiceId = \"tttcluster\"", setup);
    }

    [Fact]
    public void NetworkPolicies_AgreeOnWhoReachesWhichPort()
    {
        foreach (string policy in new[] { "-silo", "-gateway" })
        {
            string Rules(Manifests m) => string.Join(" | ", Yaml.Maps(m.Single("NetworkPolicy", policy), "spec.ingress").Select(rule =>
                $"from [{string.Join(",", Yaml.Maps(rule, "from").Select(f => Flat(Yaml.At(f, "podSelector"))))}] ports [{string.Join(",", Yaml.Maps(rule, "ports").Select(p => Yaml.Text(p, "port")))}]"));
            Same($"NetworkPolicy *{policy}", "ingress rules", Rules(Chart), Rules(Plain));
        }
        // The silo ports are reachable only from the farm's own pods: every rule that opens 11111 names them.
        foreach (var m in new[] { Chart, Plain })
            foreach (var rule in m.OfKind("NetworkPolicy").SelectMany(p => Yaml.Maps(p, "spec.ingress")))
                if (Yaml.Maps(rule, "ports").Any(p => Yaml.Text(p, "port") is "11111" or "30000"))
                    Assert.Contains(Yaml.Maps(rule, "from"), f => Yaml.Get(Yaml.At(f, "podSelector.matchLabels"), "orleans/serviceId") as string == "tttcluster");
    }

    [Fact]
    public void GatewayServices_AgreeOnTheHttpPort()
    {
        Same("Service *-gateway", "ports", Flat(Yaml.At(Chart.Single("Service", "-gateway"), "spec.ports")), Flat(Yaml.At(Plain.Single("Service", "-gateway"), "spec.ports")));
    }

    private static void Same(string what, string aspect, object? chart, object? plain) =>
        Assert.True(Equals(chart, plain), $"{what}: expected helm/tttcluster and k8s/ to agree on {aspect}, found\n  helm: {chart}\n  k8s:  {plain}");

    private static string Describe(Dictionary<string, string> options) =>
        string.Join(" ", options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));

    private static string Ports(Dictionary<object, object?> container) =>
        string.Join(", ", Yaml.Maps(container, "ports").Select(p => $"{Yaml.Text(p, "name")}={Yaml.Text(p, "containerPort")}").Order());

    private static string Environment(Dictionary<object, object?> container) =>
        string.Join(", ", Yaml.Maps(container, "env").Select(e => $"{Yaml.Text(e, "name")}={Yaml.Text(e, "value") ?? Flat(Yaml.At(e, "valueFrom"))}"));

    private static string Probe(object? probe) => probe is null ? "none" : Flat(probe);

    /// <summary>A canonical one-line form of a YAML value (map keys sorted), for comparing and for messages. Object
    /// names drop the release prefix ("farm-tttcluster" and "tttcluster" are the same object).</summary>
    private static string Flat(object? node) => node switch
    {
        Dictionary<object, object?> map => "{" + string.Join(", ", map.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal).Select(p => $"{p.Key}: {Flat(p.Value)}")) + "}",
        List<object?> list => "[" + string.Join(", ", list.Select(Flat)) + "]",
        string s => s.Replace("farm-tttcluster", "tttcluster", StringComparison.Ordinal),
        _ => node?.ToString() ?? "null",
    };
}
