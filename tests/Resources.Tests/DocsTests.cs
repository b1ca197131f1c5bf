using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// What the READMEs promise about running and rotating, held to the facts: the rotation table names, for every
/// secret store we ship, whether a changed secret is seen without a restart exactly as the component's source says
/// (Facts/components.yaml, secretReads); no sentence promises a new key "at once" without saying what to restart;
/// .ci/run runs README's test command, and that command shows skip reasons.
/// </summary>
public sealed partial class DocsTests
{
    private const string RotationSection = "## Rotating a secret";

    public static TheoryData<string> SecretStoreFolders() =>
        new(Directory.GetDirectories(RepoPaths.Combine("components", "secretstores")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(SecretStoreFolders))]
    public void RotationTable_SecretStore_SaysWhatTheComponentDoes(string folder)
    {
        var component = Yaml.LoadSingleMap(RepoPaths.Combine("components", "secretstores", folder, "secretstore.yaml"));
        var type = component["spec"]?["type"]?.AsString() ?? string.Empty;
        var definition = RepoResources.Facts().Component(type, component["spec"]?["version"]?.AsString() ?? "v1");
        Assert.True(definition?.SecretReads is not null, $"{type}: no secretReads in the facts");

        var row = RotationRows().SingleOrDefault(r => r.Folder == $"secretstores/{folder}");
        Assert.True(row.Folder is not null, $"components/README.md '{RotationSection}' has no row for secretstores/{folder}");
        if (definition!.SecretReads == "perRequest")
        {
            Assert.StartsWith("on the next read", row.Seen, StringComparison.Ordinal);
            Assert.StartsWith("nothing", row.Restart, StringComparison.Ordinal);
        }
        else
        {
            // atStart / processEnvironment: only a restart of daprd shows a new value (the facts cite the source).
            Assert.True(row.Seen.Contains("restart", StringComparison.Ordinal) && !row.Seen.StartsWith("on the next read", StringComparison.Ordinal),
                $"secretstores/{folder} ({type}) reads its secrets {definition.SecretReads} ({definition.SecretReadsSource}); the README says: {row.Seen}");
            Assert.False(row.Restart.StartsWith("nothing", StringComparison.Ordinal), $"secretstores/{folder}: say what to restart");
        }
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("components/README.md")]
    public void RotationClaims_NewKeyWorksAtOnce_AlwaysSayWhatNeedsARestart(string file)
    {
        var claims = Sentences(File.ReadAllText(RepoPaths.Combine(file)))
            .Where(s => NewSecret().IsMatch(s) && Promptly().IsMatch(s) && !s.Contains("restart", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.True(claims.Count == 0,
            $"{file} promises a new key without a restart, which is false for the local file and env stores:{Environment.NewLine}{string.Join(Environment.NewLine, claims)}");
    }

    [Fact]
    public void RotationClaims_Check_CatchesTheUnqualifiedPromise()
    {
        const string text = "A failed verification re-reads the keys (at most every 30 s), so a newly added key works at once.";
        Assert.Single(Sentences(text), s => NewSecret().IsMatch(s) && Promptly().IsMatch(s) && !s.Contains("restart", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void ReadmeTestCommand_RunByCiAndShowsSkipReasons()
    {
        var command = ReadmeTestCommand();
        Assert.StartsWith("dotnet test ModeRefresh.sln", command, StringComparison.Ordinal);

        // xunit.runner.visualstudio sends a skip reason as an informational message, which vstest's console logger
        // prints only from verbosity normal up (microsoft/vstest src/vstest.console/Internal/ConsoleLogger.cs,
        // TestMessageHandler: Informational is dropped for Quiet and Minimal).
        Assert.Matches(@"--logger ""console;verbosity=(normal|detailed)""", command);

        var ci = File.ReadAllText(RepoPaths.Combine(".ci", "run"));
        Assert.True(ci.Contains(command, StringComparison.Ordinal), $".ci/run does not run README's test command `{command}`");
    }

    /// <summary>The first command of README.md's "Test it" section.</summary>
    private static string ReadmeTestCommand()
    {
        var readme = File.ReadAllText(RepoPaths.Combine("README.md"));
        var section = readme[readme.IndexOf("## Test it", StringComparison.Ordinal)..];
        var block = CodeBlock().Match(section);
        Assert.True(block.Success, "README.md's Test it section has no ```sh block");
        return block.Groups[1].Value.Trim();
    }

    /// <summary>Rows of the rotation table: | store | folder | seen | restart |.</summary>
    private static IEnumerable<(string Folder, string Seen, string Restart)> RotationRows()
    {
        var lines = File.ReadAllLines(RepoPaths.Combine("components", "README.md"));
        var start = Array.IndexOf(lines, RotationSection);
        Assert.True(start >= 0, $"components/README.md has no '{RotationSection}' section");
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).Where(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split(" | ").Select(c => c.Trim()).ToArray();
            if (cells.Length == 4 && cells[1].Trim('`').StartsWith("secretstores/", StringComparison.Ordinal))
            {
                yield return (cells[1].Trim('`'), cells[2], cells[3]);
            }
        }
    }

    /// <summary>Sentences of a Markdown text, with wrapped lines joined; table rows and list items stay separate.</summary>
    private static IEnumerable<string> Sentences(string markdown) =>
        Regex.Split(markdown, @"\n\s*\n|\n(?=\s*[|#-]|\s*\d+\.)")
            .Select(p => Regex.Replace(p, @"\s*\n\s*", " "))
            .SelectMany(p => SentenceEnd().Split(p))
            .Where(s => s.Length > 0);

    [GeneratedRegex(@"(?i)\b(new(ly added)? (webhook )?key|key newly added|new value|changed secret|new secret)")]
    private static partial Regex NewSecret();

    [GeneratedRegex(@"(?i)\b(at once|immediately|straight away|within \d|without (a )?restart)")]
    private static partial Regex Promptly();

    [GeneratedRegex(@"(?<=[.!?])\s+(?=[A-Z`(])")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"```sh\s*\n(.+?)\n")]
    private static partial Regex CodeBlock();
}
