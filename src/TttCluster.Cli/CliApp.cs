using TttCluster.Cli.Commands;
using TttCluster.Model;
using TttCluster.Model.Weights;

namespace TttCluster.Cli;

/// <summary>`ttt`: dispatches a verb to Commands/. Expected failures (bad input) are one line on stderr and exit code 2.</summary>
public static class CliApp
{
    public const string Help = """
        ttt: TttCluster, minute-long text-to-video with Test-Time-Training diffusion transformers

        usage:
          ttt render STORY.yaml [-o OUT.mp4] [--steps N] [--seed S] [--save-latents FILE] [--model FILE]
                    [--silos N [--processes]]      render a story into an MP4 (and OUT.contact.png) on this machine,
                                                   optionally on N in-process silos or N silo processes on loopback
          ttt validate STORY.yaml                  check a story file against the format and the model's limits
          ttt info WEIGHTS.safetensors             print a model file's config and tensor inventory
          ttt eval ttt-scan --weights W --inputs IN --out OUT --mini-batch B
                                                   run the TTT scan alone (docs/MODEL.md §7)
          ttt init-model --seed S --out FILE       write a seeded (untrained) Tiny model file
          ttt bench [--quick] [--json FILE] [--only gemm|scan|attention|step|layer]
                                               measure GEMM, TTT scan, attention, a denoising step, a 5B layer
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? error : output).WriteLine(Help);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            string[] rest = args[1..];
            return args[0] switch
            {
                "render" => RenderCommand.Run(rest, output),
                "validate" => ValidateCommand.Run(rest, output),
                "info" => InfoCommand.Run(rest, output),
                "eval" => EvalCommand.Run(rest, output),
                "bench" => BenchCommand.Run(rest, output),
                "init-model" => InitModelCommand.Run(rest, output),
                _ => throw new CliException($"unknown command '{args[0]}'; run `ttt --help`"),
            };
        }
        catch (TttCluster.Video.VideoEncodingException e)
        {
            error.WriteLine($"ttt: error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is CliException or WeightsFileException or ModelConfigException or FormatException or IOException
                                      or UnauthorizedAccessException or ArgumentException)
        {
            error.WriteLine($"ttt: error: {e.Message}");
            return 2;
        }
    }
}
