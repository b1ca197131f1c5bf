using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// The file renderer (used where kubectl is absent) renders what `kubectl kustomize` renders, object by object,
/// for every kustomization a user applies. Needs kubectl on PATH, and says so when it is not.
/// </summary>
public sealed partial class KustomizeRendererTests
{
    public static TheoryData<string> AllKustomizations() => new(Kustomize.AllKustomizations());

    [Theory]
    [MemberData(nameof(AllKustomizations))]
    public void FileRenderer_EveryKustomization_SameObjectsAsKubectlKustomize(string kustomization)
    {
        var kubectl = Kustomize.KubectlPath();
        if (kubectl is null)
        {
            Assert.Skip("kubectl is not on PATH: the file renderer could not be compared with `kubectl kustomize` (the other Kubernetes tests ran on the file renderer)");
        }

        var files = Kustomize.FromFiles(kustomization).Documents;
        var real = Kustomize.WithKubectl(kubectl, kustomization).Documents;

        // kustomize appends a content hash to generated ConfigMap names and rewrites the references to them.
        var hashed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in files.Where(d => d["kind"]?.AsString() == "ConfigMap").Select(d => d["metadata"]?["name"]?.AsString()).OfType<string>())
        {
            var match = real.Where(d => d["kind"]?.AsString() == "ConfigMap")
                .Select(d => d["metadata"]?["name"]?.AsString() ?? string.Empty)
                .SingleOrDefault(n => n.StartsWith(name + "-", StringComparison.Ordinal) && HashSuffix().IsMatch(n[(name.Length + 1)..]));
            if (match is not null)
            {
                hashed[match] = name;
            }
        }

        var expected = real.Select(d => (YMap)Unhash(d, hashed)).ToDictionary(Kustomize.Id, Kustomize.Canonical);
        var actual = files.ToDictionary(Kustomize.Id, Kustomize.Canonical);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, e => Assert.True(e.Value == actual[e.Key], $"{kustomization}: {e.Key} differs{Environment.NewLine}kubectl: {e.Value}{Environment.NewLine}files:   {actual[e.Key]}"));
    }

    [Theory]
    [MemberData(nameof(AllKustomizations))]
    public void FileRenderer_EveryKustomization_RendersWithoutKubectl(string kustomization)
    {
        // Fails on any kustomize feature the file renderer does not model (it throws rather than guess).
        var rendering = Kustomize.FromFiles(kustomization);
        Assert.NotEmpty(rendering.Documents);
        Assert.Contains($"{kustomization}/kustomization.yaml", rendering.FilesRead);
    }

    private static YNode Unhash(YNode node, Dictionary<string, string> hashed) => node switch
    {
        YMap map => map with { Entries = map.Entries.Select(e => new KeyValuePair<string, YNode>(e.Key, Unhash(e.Value, hashed))).ToList() },
        YSeq seq => seq with { Items = seq.Items.Select(i => Unhash(i, hashed)).ToList() },
        YScalar { Kind: ScalarKind.String } s when hashed.TryGetValue(s.Value, out var name) => s with { Value = name },
        _ => node,
    };

    [GeneratedRegex("^[a-z0-9]{10}$")]
    private static partial Regex HashSuffix();
}
