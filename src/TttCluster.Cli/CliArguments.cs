namespace TttCluster.Cli;

/// <summary>
/// The parsed words of one command: positional arguments, `--name value` (or `--name=value`) options and switches,
/// checked against the command's <see cref="CliOption"/> list. Every mistake gets a message that names the option
/// and what was expected.
/// </summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, string> _values = new();
    private readonly HashSet<string> _switches = new();
    public List<string> Positionals { get; } = new();

    /// <summary>True when the words ask for help (-h or --help), whatever else they hold.</summary>
    public bool WantsHelp { get; }

    public CliArguments(IEnumerable<string> words, CliCommand command)
    {
        var list = words.ToList();
        WantsHelp = list.Any(w => w is "-h" or "--help");
        if (WantsHelp) return;
        for (int i = 0; i < list.Count; i++)
        {
            string w = list[i];
            if (!w.StartsWith('-') || w == "-") { Positionals.Add(w); continue; }
            int eq = w.IndexOf('=');
            bool inline = eq > 0;
            string name = inline ? w[..eq] : w;
            var option = command.Options.FirstOrDefault(o => o.Name == name || o.Alias == name)
                ?? throw new CliException($"unknown option {name}; `ttt {command.Name}` knows " +
                                          (command.Options.Count == 0 ? "no options" : string.Join(", ", command.Options.Select(o => o.Label))));
            if (option.IsSwitch)
            {
                if (inline) throw new CliException($"option {name} takes no value, found '{w[(eq + 1)..]}'");
                _switches.Add(option.Name);
                continue;
            }
            string value;
            if (inline) value = w[(eq + 1)..];
            else if (i + 1 >= list.Count || list[i + 1].StartsWith("--"))
                throw new CliException($"option {name} needs a value ({option.Value})");
            else value = list[++i];
            if (!_values.TryAdd(option.Name, value))
                throw new CliException($"option {name} is given twice");
        }
    }

    public bool Flag(string name) => _switches.Contains(name);

    public string? Optional(string name) => _values.GetValueOrDefault(name);

    public string Required(string name) => _values.TryGetValue(name, out var v) ? v : throw new CliException($"missing required option {name}");

    public int RequiredInt(string name, int min, int max)
    {
        string raw = Required(name);
        if (!int.TryParse(raw, out int v) || v < min || v > max)
            throw new CliException($"option {name}: expected a whole number from {min} to {max}, found '{raw}'");
        return v;
    }

    public int? OptionalInt(string name, int min, int max) => Optional(name) is null ? null : RequiredInt(name, min, max);

    public ulong? OptionalSeed(string name)
    {
        string? raw = Optional(name);
        if (raw is null) return null;
        return ulong.TryParse(raw, out ulong seed) ? seed : throw new CliException($"option {name}: expected a whole number ≥ 0, found '{raw}'");
    }

    public string Positional(int index, string what) =>
        index < Positionals.Count ? Positionals[index] : throw new CliException($"missing {what}");

    /// <summary>Refuses positional arguments past the first <paramref name="count"/>.</summary>
    public void AtMostPositionals(int count, string command)
    {
        if (Positionals.Count > count)
            throw new CliException($"`ttt {command}` takes {(count == 0 ? "no arguments" : count == 1 ? "one argument" : $"{count} arguments")}, found an extra '{Positionals[count]}'");
    }
}

/// <summary>A command-line mistake: printed as one line, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);
