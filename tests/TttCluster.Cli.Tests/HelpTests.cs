using System.Text.RegularExpressions;

namespace TttCluster.Cli.Tests;

/// <summary>Help, version, and the README agreeing with the options each command really accepts.</summary>
public sealed class HelpTests
{
    public static TheoryData<string> CommandNames => new(CliApp.Commands.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void EveryCommandAnswersHelp_WithEveryOptionItAccepts(string name)
    {
        var command = CliApp.Commands.Single(c => c.Name == name);
        foreach (string flag in new[] { "--help", "-h" })
        {
            var (code, output, err) = CliRun.Ttt(name, flag);
            Assert.True(code == 0, err);
            Assert.StartsWith($"usage: ttt {command.Usage}", output);
            foreach (var option in command.Options)
                Assert.Contains($"  {option.Label} ", output);
        }
        Assert.Equal(CliRun.Ttt(name, "--help"), CliRun.Ttt("help", name));
    }

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void EveryOptionInTheHelpIsAccepted_AndNoOtherIs(string name)
    {
        var command = CliApp.Commands.Single(c => c.Name == name);
        string help = command.Help();
        var listed = Regex.Matches(help, @"^  (?:(-\w), )?(--[\w-]+)", RegexOptions.Multiline)
            .Select(m => m.Groups[2].Value).Where(o => o != "--help").ToArray();
        Assert.Equal(command.Options.Select(o => o.Name), listed);
        foreach (var option in command.Options)
        {
            string[] words = option.IsSwitch ? [option.Name] : [option.Name, "1"];
            _ = new CliArguments(words, command);   // throws on an option the parser does not know
            if (option.Alias is not null) _ = new CliArguments(option.IsSwitch ? [option.Alias] : [option.Alias, "1"], command);
        }
        var unknown = Assert.Throws<CliException>(() => new CliArguments(["--no-such-option"], command));
        Assert.Contains("unknown option --no-such-option", unknown.Message);
    }

    [Fact]
    public void TopLevelHelp_ListsEveryCommandsUsage()
    {
        var (code, output, _) = CliRun.Ttt("--help");
        Assert.Equal(0, code);
        foreach (var command in CliApp.Commands)
            Assert.Contains($"  ttt {command.Usage}\n", output.ReplaceLineEndings("\n"));
        Assert.Contains("--quiet", output);
        Assert.Contains("--only gemm|scan|attention|step|layer|render|cluster", output);
    }

    [Fact]
    public void Version_PrintsTheVersion()
    {
        var (code, output, _) = CliRun.Ttt("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^ttt \d+\.\d+\.\d+", output);
    }

    [Fact]
    public void Readme_HoldsTheHelpTextVerbatim()
    {
        string readme = File.ReadAllText(Path.Combine(CliRun.RepositoryRoot(), "README.md")).ReplaceLineEndings("\n");
        Assert.Contains(CliApp.Help().ReplaceLineEndings("\n"), readme);
    }

    /// <summary>Every `ttt COMMAND ... --option` the README shows names an option that command accepts.</summary>
    [Fact]
    public void Readme_MentionsOnlyOptionsTheCommandsAccept()
    {
        string readme = File.ReadAllText(Path.Combine(CliRun.RepositoryRoot(), "README.md"));
        var checkedMentions = 0;
        foreach (string line in readme.Split('\n'))
        {
            foreach (Match use in Regex.Matches(line, @"ttt (\w[\w-]*)([^`|]*)"))
            {
                var command = CliApp.Commands.SingleOrDefault(c => c.Name == use.Groups[1].Value);
                if (command is null) continue;
                foreach (Match option in Regex.Matches(use.Groups[2].Value, @"(?<![\w-])(--?[a-z][\w-]*)"))
                {
                    string name = option.Groups[1].Value;
                    Assert.True(name is "--help" or "-h" || command.Options.Any(o => o.Name == name || o.Alias == name),
                        $"README line '{line.Trim()}' gives {name} to `ttt {command.Name}`, which does not accept it");
                    checkedMentions++;
                }
            }
        }
        Assert.True(checkedMentions > 10, $"only {checkedMentions} option mentions found: did the README's form change?");
    }
}
