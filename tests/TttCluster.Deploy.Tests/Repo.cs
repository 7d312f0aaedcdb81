namespace TttCluster.Deploy.Tests;

/// <summary>The checkout these tests read: found by walking up from the test assembly to TttCluster.sln.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => System.IO.Path.Combine(Root, relative);

    public static string Read(string relative)
    {
        string path = PathOf(relative);
        Assert.True(File.Exists(path), $"expected the file {relative} in the checkout ({Root}), found none");
        return File.ReadAllText(path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "TttCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no TttCluster.sln above {AppContext.BaseDirectory}: run the tests from a checkout");
    }
}
