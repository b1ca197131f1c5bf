using System.Net;
using Microsoft.Extensions.Time.Testing;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

public sealed class KeyRotationTests
{
    [Fact]
    public async Task Post_EitherKeyOfTwo_BothAccepted()
    {
        await using var app = await IngressApp.StartAsync(keys: "old-key, new-key");
        var sidecar = app.Sidecar;
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_1"), "old-key")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_2"), "new-key")).StatusCode);
        Assert.Equal(2, sidecar.Published.Count);
    }

    [Fact]
    public async Task Post_KeyAddedToStore_PickedUpWithoutRestartAndThrottled()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var app = await IngressApp.StartAsync(keys: "old-key", time: time);
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_a"), "old-key")).StatusCode);

        // Rotation step 1: the new key is added beside the old one. The first failed verification re-reads the store.
        sidecar.SetSecret("secretstore", "DBT_WEBHOOK_KEY", "old-key,new-key");
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_b"), "new-key")).StatusCode);

        // Step 2: the old key goes. Within 30 s of the last re-read, a failure does not hit the store again.
        sidecar.SetSecret("secretstore", "DBT_WEBHOOK_KEY", "newest-key");
        var readsBefore = sidecar.Calls.Count(c => c.Method == "GetSecret");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_c"), "newest-key")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_d"), "newest-key")).StatusCode);
        Assert.Equal(readsBefore, sidecar.Calls.Count(c => c.Method == "GetSecret"));

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_e"), "newest-key")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_f"), "old-key")).StatusCode);
        Assert.Equal(["wev_a", "wev_b", "wev_e"], sidecar.Published.Select(p => p.Metadata["cloudevent.id"]));
    }

    [Fact]
    public async Task Post_NoSecretInStore_503AndNothingPublished()
    {
        await using var app = await IngressApp.StartAsync(keys: null);
        var sidecar = app.Sidecar;
        var body = DbtPayloads.CompletedBody("wev_nokey");

        var response = await app.CreateClient().PostSignedAsync(body, "k3y-one");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.DoesNotContain(sidecar.Calls, c => c.Method == "BulkPublishEvent");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" , ")]
    public async Task Post_BlankSecret_503NeverUnverified(string value)
    {
        await using var app = await IngressApp.StartAsync(keys: value);
        var sidecar = app.Sidecar;

        var response = await app.CreateClient().PostSignedAsync(DbtPayloads.CompletedBody("wev_blank"), value);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(sidecar.Published);
    }

    [Fact]
    public async Task Post_KeyReadLaterSucceeds_Accepted()
    {
        await using var app = await IngressApp.StartAsync(keys: null);
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_x"), "late-key")).StatusCode);

        sidecar.SetSecret("secretstore", "DBT_WEBHOOK_KEY", "late-key");
        // The background refresher retries a cold cache every 2 s; dbt's own retries come later than that.
        await Eventually(async () => (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_x"), "late-key")).StatusCode == HttpStatusCode.Accepted);
        Assert.Single(sidecar.Published);
    }

    [Fact]
    public async Task Post_CustomSecretName_ReadFromConfiguredStore()
    {
        await using var app = await IngressApp.StartAsync(keys: null, settings: new Dictionary<string, string?>
        {
            ["Dapr:SecretStore"] = "vault",
            ["Ingress:WebhookKeySecretName"] = "dbt-hook",
        });
        var sidecar = app.Sidecar;
        sidecar.SetSecret("vault", "dbt-hook", "vault-key");

        var response = await app.CreateClient().PostSignedAsync(DbtPayloads.CompletedBody("wev_v"), "vault-key");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 15 s");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }
}
