using System.Text.RegularExpressions;

namespace TttCluster.Deploy.Tests;

/// <summary>
/// Every option the deployments give ttt serve and ttt-silo is one the program takes: a renamed or removed option
/// fails here, not in a crash-looping pod.
/// </summary>
public class ProgramOptionsTests
{
    [Fact]
    public void Deployments_UseOnlyOptionsTheProgramsTake()
    {
        var serve = Regex.Matches(Repo.Read("src/TttCluster.Cli/Commands/ServeCommand.cs"), @"new\(""(--[a-z-]+)""").Select(m => m.Groups[1].Value).ToHashSet();
        var silo = Regex.Matches(Repo.Read("src/TttCluster.Silo/SiloArguments.cs"), @"""(--[a-z-]+)""").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains("--keys", serve);
        Assert.Contains("--capacity", silo);

        var uses = new List<(string Where, string Program, string Option)>();
        void Add(string where, string program, IEnumerable<string> words) =>
            uses.AddRange(words.Where(w => w.StartsWith("--", StringComparison.Ordinal)).Select(w => (where, program, w)));

        foreach (var (source, m) in new[] { ("helm", new Manifests(Tools.HelmTemplate("helm/tttcluster/ci/gpu-ingress-values.yaml"))), ("k8s", new Manifests(Tools.Kustomize(Repo.PathOf("k8s")))) })
            foreach (var deployment in m.OfKind("Deployment"))
            {
                var container = Manifests.Container(deployment);
                var command = Yaml.List(container, "command").Cast<string>().Concat(Yaml.List(container, "args").Cast<string>()).ToList();
                string program = command[0] == "ttt" ? "serve" : command[0];
                Add($"{source} {Yaml.Text(deployment, "metadata.name")}", program, command);
            }
        var compose = Yaml.Document(Repo.Read("docker-compose.yml"));
        foreach (string service in new[] { "gateway", "silo" })
        {
            string script = Yaml.List(compose, $"services.{service}.command").Cast<string>().Last();
            var words = script.Split(' ').ToList();
            Add($"compose {service}", words[1] == "ttt" ? "serve" : words[1], words);
        }

        Assert.Contains(uses, u => u.Program == "serve");
        Assert.Contains(uses, u => u.Program == "ttt-silo");
        var unknown = uses.Where(u => !(u.Program == "serve" ? serve : silo).Contains(u.Option)).ToList();
        Assert.True(unknown.Count == 0, "expected only options the programs take, found: "
            + string.Join("; ", unknown.Select(u => $"{u.Where}: {u.Program} {u.Option} (it takes {string.Join(" ", (u.Program == "serve" ? serve : silo).Order())})")));
    }
}
