using System.Text;
using System.Text.RegularExpressions;

namespace TttCluster.Stories.Tests;

/// <summary>
/// Stories are untrusted: whatever the bytes, parsing must end in a <see cref="Story"/> or a
/// <see cref="StoryValidationException"/> with printable errors, never another exception, a hang or a huge allocation.
/// Seeded, so a failure names a mutation that reproduces.
/// </summary>
public class StoryFuzzTests
{
    private const int Seed = 20250611;
    private const int RandomMutations = 4000;
    /// <summary>Each test takes well under a second; a hang or a pathological slowdown fails instead of stalling the run.</summary>
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(60);

    /// <summary>Bytes that steer a YAML or JSON parser into its rarer paths, and bytes that are not UTF-8.</summary>
    private static readonly byte[] Interesting = Encoding.ASCII.GetBytes("-:{}[],&*!|>'\"#%@`?\\\n\t .~0")
        .Concat(new byte[] { 0x00, 0x07, 0x7F, 0x80, 0xC0, 0xE9, 0xEF, 0xFF }).ToArray();

    /// <summary>Whole values and lines that pass the parser and test the schema and the reader's limits.</summary>
    private static readonly string[] InterestingTokens =
    [
        "&a", "*a", "&a [1]", "!!str", "!!binary", "!x", "? ", "---", "...", "%YAML 1.2", "- ", ": ", "|", ">-", "''", "\"\"",
        "-1", "0", "1e400", ".nan", "-.inf", "0x", "0o9", "18446744073709551616", "null", "~", "true", "[]", "{}", "[[[[", "}}",
        "\"\\ud800\"", "\"\\0\"", "\"\\e\"", "txt", "negative_text", "scenes", "title", "seed", "settings", "guidance_power",
        new string('x', 300), string.Join(' ', Enumerable.Repeat("w", 40)),
    ];

    private static readonly string ValidYaml = TestStories.Valid + "\n";

    private static readonly string ValidJson = """
        {"title": "Kitchen chase", "seed": 42, "settings": {"steps": 20, "guidance": 4.0},
         "scenes": [{"text": "Tom eats an apple pie.", "negative_text": "blurry"}, {"text": "Jerry rings the doorbell."}]}
        """;

    [Theory]
    [InlineData("yaml")]
    [InlineData("json")]
    public Task Parse_TruncatedAtEveryLengthThrowsOnlyStoryValidationException(string format) => Bounded(failures =>
    {
        byte[] valid = Encoding.UTF8.GetBytes(format == "json" ? ValidJson : ValidYaml);
        for (int length = 0; length < valid.Length; length++)
            TryParse(valid[..length], $"{format} truncated to {length} bytes", failures);
    });

    [Theory]
    [InlineData("yaml")]
    [InlineData("json")]
    public Task Parse_RandomByteEditsThrowOnlyStoryValidationException(string format) => Bounded(failures =>
    {
        byte[] valid = Encoding.UTF8.GetBytes(format == "json" ? ValidJson : ValidYaml);
        var random = new Random(Seed);
        for (int i = 0; i < RandomMutations; i++)
        {
            var bytes = valid.ToList();
            var what = new List<string>();
            for (int edit = 0, edits = 1 + random.Next(4); edit < edits && bytes.Count > 0; edit++)
            {
                int at = random.Next(bytes.Count);
                byte b = random.Next(4) == 0 ? (byte)random.Next(256) : Interesting[random.Next(Interesting.Length)];
                switch (random.Next(3))
                {
                    case 0: bytes[at] = b; what.Add($"[{at}]=0x{b:X2}"); break;
                    case 1: bytes.Insert(at, b); what.Add($"insert 0x{b:X2} at {at}"); break;
                    default: bytes.RemoveAt(at); what.Add($"delete {at}"); break;
                }
            }
            TryParse(bytes.ToArray(), $"{format} mutation {i}: {string.Join(", ", what)}", failures);
        }
    });

    [Fact]
    public Task Parse_TokenAndLineEditsThrowOnlyStoryValidationException() => Bounded(failures =>
    {
        // Replacing words and whole lines keeps most of the YAML readable, so these reach the schema and the limits.
        var words = Regex.Matches(ValidYaml, @"[A-Za-z_0-9.""';]+");
        string[] lines = ValidYaml.Split('\n');
        var random = new Random(Seed + 1);
        for (int i = 0; i < RandomMutations; i++)
        {
            string mutated;
            string what;
            if (random.Next(2) == 0)
            {
                var word = words[random.Next(words.Count)];
                string token = InterestingTokens[random.Next(InterestingTokens.Length)];
                mutated = ValidYaml[..word.Index] + token + ValidYaml[(word.Index + word.Length)..];
                what = $"'{word.Value}' at {word.Index} -> '{token}'";
            }
            else
            {
                // Duplicate, drop or re-indent a line: duplicate keys, missing fields, broken structure.
                var edited = lines.ToList();
                int line = random.Next(edited.Count);
                switch (random.Next(3))
                {
                    case 0: edited.Insert(line, edited[line]); what = $"line {line + 1} twice"; break;
                    case 1: edited.RemoveAt(line); what = $"line {line + 1} dropped"; break;
                    default: edited[line] = new string(' ', random.Next(6)) + edited[line].TrimStart(); what = $"line {line + 1} re-indented"; break;
                }
                mutated = string.Join('\n', edited);
            }
            TryParse(Encoding.UTF8.GetBytes(mutated), $"token mutation {i}: {what}", failures);
        }
    });

    private static void TryParse(byte[] content, string what, List<string> failures)
    {
        try
        {
            var story = StoryParser.Parse(content, "fuzz.yaml", TestStories.Limits);
            if (story.Scenes.Count is < 1 or > 4 || string.IsNullOrWhiteSpace(story.Title))
                failures.Add($"{what}: accepted a story outside the limits");
        }
        catch (StoryValidationException e)
        {
            // Errors go to terminals: they must name the source and hold nothing unprintable from the file.
            foreach (var error in e.Errors)
            {
                string text = error.ToString();
                if (!text.StartsWith("fuzz.yaml", StringComparison.Ordinal) || text.Any(c => char.IsControl(c)) || error.Line < 1 || error.Column < 1)
                    failures.Add($"{what}: bad error \"{Regex.Escape(text)}\"");
            }
        }
        catch (Exception e)
        {
            failures.Add($"{what}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static async Task Bounded(Action<List<string>> fuzz)
    {
        var failures = new List<string>();
        try
        {
            await Task.Run(() => fuzz(failures)).WaitAsync(TimeLimit);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"fuzzing did not finish within {TimeLimit.TotalSeconds} s: an input makes the parser hang or crawl");
        }
        Assert.True(failures.Count == 0,
            $"{failures.Count} inputs did not end in a story or a clean StoryValidationException:\n" + string.Join("\n", failures.Take(10)));
    }
}
