using System.Diagnostics;

namespace TttCluster.Deploy.Tests;

/// <summary>
/// helm, kubectl (tools/k8s/bin, from scripts/install-k8s-tools.sh) and the schema check (tools/k8s-validate), run as
/// processes. A missing tool fails the test with the command that installs it.
/// </summary>
public static class Tools
{
    public static string Helm => Tool("tools/k8s/bin/helm");
    public static string Kubectl => Tool("tools/k8s/bin/kubectl");

    /// <summary>The chart with the default values, or with values files (relative to the repository root).</summary>
    public static string HelmTemplate(params string[] valuesFiles) => HelmTemplateWith(valuesFiles, []);

    public static string HelmTemplateWith(string[] valuesFiles, string[] sets)
    {
        var args = new List<string> { "template", "farm", Repo.PathOf("helm/tttcluster"), "--namespace", "render" };
        foreach (string file in valuesFiles) args.AddRange(["-f", Repo.PathOf(file)]);
        foreach (string set in sets) args.AddRange(["--set", set]);
        return Ok(Helm, args);
    }

    /// <summary>`kubectl kustomize DIR`.</summary>
    public static string Kustomize(string directory) => Ok(Kubectl, ["kustomize", directory]);

    /// <summary>Runs tools/k8s-validate on rendered manifests; returns its report (one line per object).</summary>
    public static (int ExitCode, string Report) Validate(string manifests)
    {
        string script = Repo.PathOf("tools/k8s-validate/validate.js");
        Assert.True(Directory.Exists(Repo.PathOf("tools/k8s-validate/node_modules/kubernetes-models")),
            "expected tools/k8s-validate/node_modules (kubernetes-models), found none: run scripts/install-deps.sh");
        return Run("node", [script], manifests);
    }

    /// <summary>Runs a program; fails the test (with its output) unless it exits 0.</summary>
    public static string Ok(string program, IEnumerable<string> args)
    {
        var (code, output) = Run(program, args);
        Assert.True(code == 0, $"expected `{Path.GetFileName(program)} {string.Join(' ', args)}` to succeed, found exit code {code}:\n{output}");
        return output;
    }

    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> args, string? input = null, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? []) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{Path.GetFileName(program)} {string.Join(' ', args)}` ran past 60 s");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string Tool(string relative)
    {
        string path = Repo.PathOf(relative);
        Assert.True(File.Exists(path), $"expected {relative}, found none: run scripts/install-deps.sh (it runs scripts/install-k8s-tools.sh)");
        return path;
    }
}
