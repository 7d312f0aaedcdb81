using System.Text.RegularExpressions;

namespace TttCluster.Deploy.Tests;

/// <summary>A Dockerfile read into stages of instructions (continuation lines joined, comments dropped).</summary>
public sealed record Dockerfile(List<Dockerfile.Stage> Stages)
{
    public sealed record Instruction(string Keyword, string Arguments);

    public sealed record Stage(string Image, string? Name, List<Instruction> Instructions)
    {
        public IEnumerable<string> All(string keyword) =>
            Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);
    }

    public static Dockerfile Parse(string text)
    {
        var stages = new List<Stage>();
        string joined = Regex.Replace(text, @"\\\r?\n", " ");
        foreach (string raw in joined.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var match = Regex.Match(line, @"^(\w+)\s+(.*)$");
            if (!match.Success) throw new InvalidDataException($"Dockerfile: expected INSTRUCTION ARGUMENTS, found \"{line}\"");
            string keyword = match.Groups[1].Value.ToUpperInvariant(), arguments = Regex.Replace(match.Groups[2].Value, @"\s+", " ");
            if (keyword == "FROM")
            {
                var from = Regex.Match(arguments, @"^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$", RegexOptions.IgnoreCase);
                stages.Add(new Stage(from.Groups[1].Value, from.Groups[2].Success ? from.Groups[2].Value : null, []));
            }
            else if (stages.Count == 0) throw new InvalidDataException($"Dockerfile: expected FROM before {keyword}");
            else stages[^1].Instructions.Add(new Instruction(keyword, arguments));
        }
        return new Dockerfile(stages);
    }
}

/// <summary>.dockerignore's rules (Docker's: the last matching pattern decides; a pattern also covers what is under it).</summary>
public sealed class DockerIgnore(string text)
{
    private readonly List<(Regex Pattern, bool Include)> _rules = text.Split('\n').Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => (Pattern: ToRegex(l.TrimStart('!').TrimStart('/')), Include: l.StartsWith('!')))
        .ToList();

    public bool Excludes(string path)
    {
        bool excluded = false;
        foreach (var (pattern, include) in _rules)
            if (pattern.IsMatch(path)) excluded = !include;
        return excluded;
    }

    private static Regex ToRegex(string glob)
    {
        string body = Regex.Escape(glob).Replace(@"\*\*/", "(.*/)?").Replace(@"\*\*", ".*").Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]");
        return new Regex($"^{body}(/.*)?$");
    }
}
