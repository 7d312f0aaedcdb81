using System.Text.RegularExpressions;

namespace TttCluster.Deploy.Tests;

/// <summary>The Dockerfile, parsed: what each stage does, and that the build context holds what it copies.</summary>
public class DockerfileTests
{
    private static readonly Dockerfile Image = Dockerfile.Parse(Repo.Read("Dockerfile"));
    private static Dockerfile.Stage Build => Image.Stages[0];
    private static Dockerfile.Stage Runtime => Image.Stages[^1];

    [Fact]
    public void Stages_BuildOnTheSdk_AndRunOnTheAspNetRuntime()
    {
        Assert.True(Image.Stages.Count == 2, $"expected two stages (build, runtime), found {Image.Stages.Count}: {string.Join(", ", Image.Stages.Select(s => $"{s.Image} AS {s.Name}"))}");
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/sdk:10\.0-\w+$", Build.Image);
        Assert.Equal("build", Build.Name);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/aspnet:10\.0-\w+$", Runtime.Image);
        Assert.Equal("runtime", Runtime.Name);
        // The same distribution in both (a tag that names it, so a rebuild cannot move to another).
        Assert.Equal(Build.Image.Split(':')[1], Runtime.Image.Split(':')[1]);
        Assert.Contains(Build.All("RUN"), r => r.Contains("dotnet publish src/TttCluster.Cli/TttCluster.Cli.csproj -c Release -o /app", StringComparison.Ordinal));
        Assert.Contains(Runtime.All("COPY"), c => Regex.IsMatch(c, @"^--from=build /app /app$"));
    }

    [Fact]
    public void Runtime_InstallsFfmpegAndOpenBlas_AndSetsTheCoreType()
    {
        string installs = string.Join(" ", Runtime.All("RUN").Where(r => r.Contains("apt-get install", StringComparison.Ordinal)));
        foreach (string package in new[] { "ffmpeg", "libopenblas0-pthread", "curl" })
            Assert.True(Regex.IsMatch(installs, $@"\s{Regex.Escape(package)}(\s|$)"), $"expected the runtime stage to apt-get install {package}, found: {installs}");
        Assert.Contains("rm -rf /var/lib/apt/lists/*", installs);
        Assert.Contains(Runtime.All("ENV"), e => Regex.IsMatch(e, @"(^|\s)OPENBLAS_CORETYPE=Haswell(\s|$)"));
    }

    [Fact]
    public void Runtime_RunsAsNonRootUser_WithAHealthcheckOnHealthz()
    {
        var users = Runtime.All("USER").ToList();
        Assert.True(users.Count > 0, "expected a USER in the runtime stage, found none (it would run as root)");
        // Numeric: Kubernetes' runAsNonRoot can check a UID, not a name; and the pods' runAsUser is the same one.
        Assert.True(int.TryParse(users[^1], out int uid) && uid != 0, $"expected a numeric non-root USER, found {users[^1]}");
        Assert.Contains($"runAsUser: {uid}", Repo.Read("helm/tttcluster/values.yaml"));
        Assert.Contains($"runAsUser: {uid}", Repo.Read("k8s/gateway-deployment.yaml"));
        int userAt = Runtime.Instructions.FindLastIndex(i => i.Keyword == "USER");
        Assert.DoesNotContain(Runtime.Instructions.Skip(userAt), i => i.Keyword == "RUN" && i.Arguments.Contains("apt-get", StringComparison.Ordinal));

        string check = Assert.Single(Runtime.All("HEALTHCHECK"));
        Assert.Matches(@"CMD curl -fsS http://127\.0\.0\.1:8080/healthz", check);
        Assert.Contains(Runtime.All("EXPOSE"), e => e.Split(' ').Contains("8080") && e.Split(' ').Contains("11111"));
        Assert.Matches(@"^\[""ttt"", ""serve"", ""--listen"", ""0\.0\.0\.0"", ""--port"", ""8080""", Assert.Single(Runtime.All("CMD")));
    }

    [Fact]
    public void Wrappers_RunThePublishedPrograms()
    {
        // --chmod: executable in the image whatever the checkout's file modes are.
        Assert.Contains(Runtime.All("COPY"), c => c == "--chmod=0755 docker/ttt docker/ttt-silo docker/container-ip /usr/local/bin/");
        Assert.Contains("exec dotnet /app/ttt.dll \"$@\"", Repo.Read("docker/ttt"));
        Assert.Contains("exec dotnet /app/ttt-silo.dll \"$@\"", Repo.Read("docker/ttt-silo"));
    }

    [Fact]
    public void BuildContext_HoldsEveryFileTheBuildNeeds()
    {
        var ignore = new DockerIgnore(Repo.Read(".dockerignore"));
        var copied = Image.Stages.SelectMany(s => s.All("COPY")).Where(c => !c.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(c => c.Split(' ').Where(w => !w.StartsWith("--", StringComparison.Ordinal)).SkipLast(1)).ToList();
        foreach (string source in copied)
        {
            string path = source.TrimEnd('/');
            Assert.True(File.Exists(Repo.PathOf(path)) || Directory.Exists(Repo.PathOf(path)), $"Dockerfile copies {source}, which is not in the checkout");
            Assert.False(ignore.Excludes(path), $"Dockerfile copies {source}, which .dockerignore leaves out of the build context");
        }
        // Files the projects compile in from outside src/ and benchmarks/ (the build fails without them, as it did
        // once for tests/TttCluster.Storage.Tests/AzuriteProcess.cs).
        foreach (string project in Directory.GetFiles(Repo.PathOf("src"), "*.csproj", SearchOption.AllDirectories)
                     .Concat(Directory.GetFiles(Repo.PathOf("benchmarks"), "*.csproj", SearchOption.AllDirectories)))
            foreach (Match include in Regex.Matches(File.ReadAllText(project), @"<(?:Compile|None|Content)\s+Include=""([^""]+)"""))
            {
                string full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, include.Groups[1].Value));
                string relative = Path.GetRelativePath(Repo.Root, full).Replace('\\', '/');
                Assert.True(copied.Any(c => relative == c.TrimEnd('/') || relative.StartsWith(c.TrimEnd('/') + "/", StringComparison.Ordinal)
                        || (c.EndsWith('/') && relative.StartsWith(c, StringComparison.Ordinal))) && !ignore.Excludes(relative),
                    $"{Path.GetFileName(project)} needs {relative}, which the Dockerfile does not copy into the build stage (or .dockerignore leaves out)");
            }
        // Build outputs and packages stay out: they would shadow the image's own restore and build.
        foreach (string path in new[] { "artifacts/bin/x.dll", "src/TttCluster.Cli/obj/project.assets.json", "tools/azurite/node_modules/a", ".git/HEAD", "tests/TttCluster.Cli.Tests/CliTests.cs" })
            Assert.True(ignore.Excludes(path), $"expected .dockerignore to leave {path} out of the build context");
    }
}
