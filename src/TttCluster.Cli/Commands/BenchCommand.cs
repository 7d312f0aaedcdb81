namespace TttCluster.Cli.Commands;

/// <summary>`ttt bench [--quick] [--json FILE]`: the benchmark suite of benchmarks/TttCluster.Benchmarks.</summary>
public static class BenchCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        var a = new CliArguments(args, new HashSet<string> { "--json", "--only" }, new HashSet<string> { "--quick" });
        return TttCluster.Benchmarks.BenchmarkSuite.Run(a.Flag("--quick"), a.Optional("--json"), output, a.Optional("--only"));
    }
}
