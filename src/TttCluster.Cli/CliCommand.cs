using System.Text;

namespace TttCluster.Cli;

/// <summary>
/// One option a command accepts: its name (and a short alias), the value it takes (null for a switch) and what it does.
/// The parser and the help text both read these, so `ttt CMD --help` lists exactly what the command accepts.
/// </summary>
public sealed record CliOption(string Name, string? Value, string Description, string? Alias = null)
{
    public bool IsSwitch => Value is null;

    /// <summary>"-o, --out OUT.mp4" or "--quiet".</summary>
    public string Label => (Alias is null ? "" : Alias + ", ") + Name + (Value is null ? "" : " " + Value);
}

/// <summary>
/// A `ttt` command: its name, its usage line, a sentence of what it does, its options and what runs it.
/// </summary>
/// <param name="Usage">The usage line after "ttt ", e.g. "validate STORY.yaml [--model FILE]".</param>
/// <param name="Summary">One line for `ttt --help`.</param>
/// <param name="Details">More for `ttt CMD --help`: positional arguments, defaults, exit codes.</param>
public sealed record CliCommand(string Name, string Usage, string Summary, string Details, IReadOnlyList<CliOption> Options,
    Func<CliArguments, CliContext, int> Run)
{
    /// <summary>The text of `ttt NAME --help`.</summary>
    public string Help()
    {
        var text = new StringBuilder();
        text.AppendLine($"usage: ttt {Usage}");
        text.AppendLine();
        text.AppendLine(Summary);
        if (Details.Length > 0)
        {
            text.AppendLine();
            text.AppendLine(Details.TrimEnd());
        }
        text.AppendLine();
        text.AppendLine("options:");
        int width = Options.Select(o => o.Label.Length).Append("-h, --help".Length).Max() + 2;
        foreach (var option in Options)
            text.AppendLine($"  {option.Label.PadRight(width)}{option.Description}");
        text.AppendLine($"  {"-h, --help".PadRight(width)}this help");
        return text.ToString();
    }
}

/// <summary>What a command writes to and reacts to: its output, errors, whether output is a terminal, Ctrl-C.</summary>
/// <param name="OutputIsTerminal">True when <paramref name="Output"/> is a terminal (progress is then redrawn in place).</param>
public sealed record CliContext(TextWriter Output, TextWriter Error, bool OutputIsTerminal, Interrupts Interrupts);
