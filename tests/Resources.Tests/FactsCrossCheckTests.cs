using ModeRefresh.Resources.Tests.Infrastructure;
using ModeRefresh.Resources.Tests.Validation;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// The project's Dapr facts (tests/Resources.Tests/Facts) against Dapr's own files. The real comparison needs
/// ../shared/dapr-reference (or $DAPR_REFERENCE_DIR) and skips with that reason without it; the planted tests
/// below prove, in every clone, that the comparison catches each kind of disagreement.
/// </summary>
public sealed class FactsCrossCheckTests
{
    [Fact]
    public void Facts_AgainstDaprReference_Agree()
    {
        var reference = RepoResources.Reference();
        var readme = File.ReadAllText(Path.Combine(reference.Directory, "README.md"));
        var problems = FactsCrossCheck.All(RepoResources.Facts(), reference, readme);
        Assert.True(problems.Count == 0, $"{problems.Count} disagreement(s) with {reference.Directory}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Fact]
    public void Component_FieldMissingFromDaprMetadata_Reported()
    {
        var theirs = Definition(Field("redisHost", required: true));
        var ours = Definition(Field("redisHost", required: true), Field("redisHots"));

        var problem = Assert.Single(FactsCrossCheck.Component(ours, theirs));
        Assert.Contains("'redisHots' is not a field of Dapr's metadata.yaml", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Component_RequiredDiffers_ReportedBothWays()
    {
        var theirs = Definition(Field("redisHost", required: true), Field("brokers", required: true));
        var ours = Definition(Field("redisHost"));

        var problems = FactsCrossCheck.Component(ours, theirs).ToList();
        Assert.Contains(problems, p => p.Contains("'redisHost': required is false in the facts, true in Dapr's metadata", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Dapr requires 'brokers'", StringComparison.Ordinal));
    }

    [Fact]
    public void Component_AllowedValueDaprRefuses_Reported()
    {
        var theirs = Definition(Field("initialOffset", allowed: ["newest", "oldest"]));

        Assert.Empty(FactsCrossCheck.Component(Definition(Field("initialOffset", allowed: ["oldest"])), theirs));
        var problem = Assert.Single(FactsCrossCheck.Component(Definition(Field("initialOffset", allowed: ["oldest", "earliest"])), theirs));
        Assert.Contains("allowed values are [oldest, earliest] in the facts, [newest, oldest]", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Component_ProfileUnknownToDapr_Reported()
    {
        var theirs = Definition([Field("brokers", required: true)], new AuthProfile("No Authentication", [Field("authType", required: true, allowed: ["none"])]));
        var ours = Definition([Field("brokers", required: true)], new AuthProfile("No Auth", [Field("authType", required: true, allowed: ["none"])]));

        var problem = Assert.Single(FactsCrossCheck.Component(ours, theirs));
        Assert.Contains("authentication profile 'No Auth' is not one of Dapr's", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Shape_FieldNotInCrd_Reported()
    {
        var problem = Assert.Single(FactsCrossCheck.Shape(Node("""
            spec:
              policies!:
                retries:
                  "*":
                    maxRetry: integer
            """), Crd, "Resiliency"));
        Assert.Equal("Resiliency.spec.policies.retries.*.maxRetry: not in the CRD schema (it has maxRetries, policy)", problem);
    }

    [Fact]
    public void Shape_TypeOrRequiredDiffers_Reported()
    {
        var problems = FactsCrossCheck.Shape(Node("""
            spec:
              policies:
                retries:
                  "*":
                    maxRetries: string
            """), Crd, "Resiliency").ToList();
        Assert.Contains("Resiliency.spec.policies: optional in the facts, required in the CRD", problems);
        Assert.Contains("Resiliency.spec.policies.retries.*.maxRetries: string in the facts, integer in the CRD", problems);
        Assert.Equal(2, problems.Count);
    }

    [Fact]
    public void Shape_MatchingFacts_NoProblems() =>
        Assert.Empty(FactsCrossCheck.Shape(Node("""
            metadata:
              name: string
              anything: {"*": string}
            spec:
              policies!:
                retries:
                  "*":
                    policy: string
                    maxRetries: integer
            """), Crd, "Resiliency"));

    [Fact]
    public void RunFile_KeyNotInReferenceList_Reported()
    {
        const string readme = "Multi-app run file (dapr.yaml) keys accepted by the Dapr CLI:\n`version`, `common`, `apps`; appID, appDirPath, command.\n\nOther text: metricsPort.";
        var problem = Assert.Single(FactsCrossCheck.RunFile(Node("""
            version!: integer
            apps!:
              - appID: string
                appDirPath!: string
                metricsPort: integer
            """), readme));
        Assert.Equal("run file: apps[].metricsPort is not a key the Dapr reference lists for dapr.yaml", problem);
    }

    private static YMap Crd => Assert.IsType<YMap>(Node("""
        type: object
        properties:
          metadata:
            type: object
          spec:
            type: object
            required: [policies]
            properties:
              policies:
                type: object
                properties:
                  retries:
                    type: object
                    additionalProperties:
                      type: object
                      properties:
                        maxRetries: {type: integer}
                        policy: {type: string}
        """));

    private static YNode Node(string yaml) => Yaml.Load("planted.yaml", yaml).Single().Root!;

    private static MetadataField Field(string name, bool required = false, string[]? allowed = null) =>
        new(name, required, null, allowed ?? [], false);

    private static ComponentDefinition Definition(params MetadataField[] fields) => Definition(fields, []);

    private static ComponentDefinition Definition(MetadataField[] fields, params AuthProfile[] profiles) =>
        new("pubsub.planted", "v1", "planted", fields, profiles, []);
}
