namespace TttCluster.Cli;

/// <summary>
/// The parsed words of one command: positional arguments, `--name value` options and `--flag` switches. Small and
/// explicit on purpose: every mistake gets a message that names the option and what was expected.
/// </summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, string> _options = new();
    private readonly HashSet<string> _flags = new();
    private readonly HashSet<string> _used = new();
    public List<string> Positionals { get; } = new();

    /// <param name="valueOptions">Options that take a value (e.g. "--weights"); anything else starting with -- is a switch.</param>
    /// <param name="flagOptions">Switches this command knows (e.g. "--quick").</param>
    public CliArguments(IEnumerable<string> words, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flagOptions)
    {
        var list = words.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string w = list[i];
            if (!w.StartsWith("-") || w == "-") { Positionals.Add(w); continue; }
            string name = w, value = "";
            int eq = w.IndexOf('=');
            bool inline = eq > 0;
            if (inline) { name = w[..eq]; value = w[(eq + 1)..]; }
            if (valueOptions.Contains(name))
            {
                if (!inline)
                {
                    if (i + 1 >= list.Count || list[i + 1].StartsWith("--"))
                        throw new CliException($"option {name} needs a value");
                    value = list[++i];
                }
                if (!_options.TryAdd(name, value)) throw new CliException($"option {name} is given twice");
            }
            else if (flagOptions.Contains(name) && !inline) _flags.Add(name);
            else
            {
                var known = valueOptions.Concat(flagOptions).Order().ToArray();
                throw new CliException($"unknown option {name}" + (known.Length > 0 ? $"; this command knows {string.Join(", ", known)}" : ""));
            }
        }
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string? Optional(string name) => _options.GetValueOrDefault(name);

    public string Required(string name) => _options.TryGetValue(name, out var v) ? v : throw new CliException($"missing required option {name}");

    public int RequiredInt(string name, int min, int max)
    {
        string raw = Required(name);
        if (!int.TryParse(raw, out int v) || v < min || v > max)
            throw new CliException($"option {name}: expected a whole number from {min} to {max}, found '{raw}'");
        return v;
    }

    public string Positional(int index, string what) =>
        index < Positionals.Count ? Positionals[index] : throw new CliException($"missing {what}");
}

/// <summary>A command-line mistake: printed as one line, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);
