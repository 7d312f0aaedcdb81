using TttCluster.Benchmarks;

namespace TttCluster.Cli.Commands;

/// <summary>`ttt bench [--quick] [--json FILE] [--only GROUP]`: the benchmark suite of benchmarks/TttCluster.Benchmarks.</summary>
public static class BenchCommand
{
    public static readonly CliCommand Command = new("bench", $"bench [--quick] [--json FILE] [--only {string.Join('|', BenchmarkSuite.Groups)}]",
        "measure GEMM, the TTT scan, attention, a denoising step, a CogVideoX5B layer, the one-minute render and the cluster",
        """
        Every speed is also given as a % of the machine's sgemm baseline, measured several times through the run
        (the best counts). The output says when the machine was too busy to measure. Run it from the repository root
        (the render benchmark reads examples/one-minute.yaml).
        """,
        [
            new("--quick", null, "smaller shapes and fewer repeats: a smoke run in under 30 s"),
            new("--json", "FILE", "also write every figure to FILE as JSON (checked before any work)"),
            new("--only", "GROUP", $"run one group: {string.Join(", ", BenchmarkSuite.Groups)} (the baseline always runs)"),
        ],
        Run);

    private static int Run(CliArguments a, CliContext context)
    {
        a.AtMostPositionals(0, "bench");
        string? only = a.Optional("--only");
        if (only is not null && !BenchmarkSuite.Groups.Contains(only))
            throw new CliException($"--only: expected one of {string.Join(", ", BenchmarkSuite.Groups)}, found '{only}'");
        string? json = a.Optional("--json");
        if (json is not null) OutputFiles.CheckWritable("--json", json);
        return BenchmarkSuite.Run(a.Flag("--quick"), json, context.Output, only);
    }
}
