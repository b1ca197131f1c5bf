using System.Text.Json;
using ModeRefresh.Contracts;
using ModeRefresh.TestSupport;
using ModeRefresh.Ingress.Keys;
using ModeRefresh.Ingress.Webhooks;

namespace ModeRefresh.Ingress.Tests.Unit;

/// <summary>Cross-checks against the team's dbt samples (../shared/dbt-cloud), which a user's clone lacks.</summary>
public sealed class SharedVectorTests
{
    [Fact]
    public void Verify_SharedDbtVectors_AllAcceptedAndParsed()
    {
        var dir = RepoPaths.DbtSamples;
        if (dir is null) Assert.Skip("../shared/dbt-cloud is not beside this clone (set DBT_SAMPLES_DIR to use another copy)");

        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "signatures.json")));
        var vectors = doc.RootElement.GetProperty("vectors").EnumerateArray().ToArray();
        Assert.NotEmpty(vectors);
        foreach (var v in vectors)
        {
            var body = File.ReadAllBytes(Path.Combine(dir, v.GetProperty("file").GetString()!));
            var keys = KeyListParser.Parse(v.GetProperty("secret").GetString());
            var signature = v.GetProperty("authorization").GetString()!;

            Assert.True(SignatureVerifier.Verify(body, signature, keys), v.GetProperty("file").GetString());
            Assert.False(SignatureVerifier.Verify(body, signature, KeyListParser.Parse("not-the-secret")));
            Assert.True(DbtRunEventReader.TryRead(body, "body", out var evt, out var error), error);
            Assert.StartsWith("job.run.", evt!.EventType, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(evt.Data.RunId));
        }
    }
}
