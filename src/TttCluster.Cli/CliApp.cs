using System.Reflection;
using System.Text;
using TttCluster.Cli.Commands;
using TttCluster.Files;
using TttCluster.Model;
using TttCluster.Model.Weights;

namespace TttCluster.Cli;

/// <summary>`ttt`: dispatches a verb to Commands/. Expected failures (bad input) are one line on stderr and exit code 2.</summary>
public static class CliApp
{
    /// <summary>Every command, in the order `ttt --help` lists them.</summary>
    public static readonly IReadOnlyList<CliCommand> Commands =
    [
        RenderCommand.Command,
        ServeCommand.Command,
        FarmCommands.Submit,
        FarmCommands.Status,
        FarmCommands.Watch,
        FarmCommands.Cancel,
        FarmCommands.Download,
        FarmCommands.Stories,
        ValidateCommand.Command,
        InfoCommand.Command,
        EvalCommand.Command,
        InitModelCommand.Command,
        BenchCommand.Command,
    ];

    /// <summary>"0.10.0 (commit 54b1a51)": the assembly version and, when built from a git checkout, its commit.</summary>
    public static string Version
    {
        get
        {
            string informational = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            int plus = informational.IndexOf('+');
            if (plus < 0) return informational;
            string commit = informational[(plus + 1)..];
            return $"{informational[..plus]} (commit {commit[..Math.Min(12, commit.Length)]})";
        }
    }

    /// <summary>The text of `ttt --help`: every command's usage line and what it does.</summary>
    public static string Help()
    {
        var text = new StringBuilder();
        text.AppendLine("ttt: TttCluster, minute-long text-to-video with Test-Time-Training diffusion transformers");
        text.AppendLine();
        text.AppendLine("usage:");
        foreach (var command in Commands)
        {
            text.AppendLine($"  ttt {command.Usage}");
            text.AppendLine($"      {command.Summary}");
        }
        text.AppendLine("  ttt --version");
        text.AppendLine();
        text.AppendLine("`ttt COMMAND --help` lists a command's options.");
        return text.ToString();
    }

    /// <summary>Runs one command line; tests call this with their own writers and interrupts.</summary>
    public static int Run(string[] args, CliContext context)
    {
        var (output, error) = (context.Output, context.Error);
        if (args.Length == 0)
        {
            error.Write(Help());
            return 2;
        }
        if (args[0] is "-h" or "--help" or "help")
        {
            if (args.Length > 1 && args[0] == "help") return Run([args[1], "--help"], context);
            output.Write(Help());
            return 0;
        }
        if (args[0] is "--version" or "version")
        {
            output.WriteLine($"ttt {Version}");
            return 0;
        }
        try
        {
            var command = Commands.FirstOrDefault(c => c.Name == args[0])
                ?? throw new CliException($"unknown command '{args[0]}'; the commands are {string.Join(", ", Commands.Select(c => c.Name))} (`ttt --help`)");
            var arguments = new CliArguments(args[1..], command);
            if (arguments.WantsHelp)
            {
                output.Write(command.Help());
                return 0;
            }
            return command.Run(arguments, context);
        }
        catch (TttCluster.Video.VideoEncodingException e)
        {
            error.WriteLine($"ttt: error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is CliException or WeightsFileException or ModelConfigException or FormatException or ArgumentException)
        {
            error.WriteLine($"ttt: error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file problem that no check before the work foresaw (the disk filled up, a folder vanished).
            error.WriteLine($"ttt: error: {FileChecks.Describe(e)}");
            return 2;
        }
    }
}
