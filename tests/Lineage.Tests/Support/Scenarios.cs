using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests.Support;

/// <summary>
/// The shared README's four scenarios, from either source: <c>shared</c> (../shared's actual files, skipped when
/// absent) or <c>generated</c> (<see cref="AcmeProject"/>, in every clone). Both come as a <see cref="FakeDbtRun"/>.
/// </summary>
internal static class Scenarios
{
    public const string Shared = "shared";
    public const string Generated = "generated";

    public static TheoryData<string, string> All
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var source in new[] { Generated, Shared })
            {
                foreach (var name in AcmeProject.ScenarioNames) data.Add(source, name);
            }

            return data;
        }
    }

    public static FakeDbtRun Run(string source, string name) => source == Shared
        ? FakeDbtRun.FromSharedScenario(SharedArtifacts.Scenario(name), SharedArtifacts.Manifest)
        : AcmeProject.Scenario(name);

    public static byte[] Bytes(FakeArtifact artifact)
    {
        using var stream = artifact.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The run's manifest and every step's run_results, in step order.</summary>
    public static (byte[] Manifest, byte[][] RunResults) Artifacts(FakeDbtRun run) =>
        (Bytes(run.Steps.Last(s => s.Manifest is not null).Manifest!),
         [.. run.Steps.Where(s => s.RunResults is not null).Select(s => Bytes(s.RunResults!))]);
}
