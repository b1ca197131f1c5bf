using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModeRefresh.Contracts;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

public sealed class WebhookPublishTests
{
    [Fact]
    public async Task Post_ValidCompletedWebhook_202AndExactlyOnePublish()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var body = DbtPayloads.CompletedBody("wev_ok", jobId: "123", runId: "777");

        var response = await app.CreateClient().PostSignedAsync(body, "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("wev_ok", answer.GetProperty("eventId").GetString());
        Assert.Equal("dbt-job-run-completed", answer.GetProperty("topic").GetString());
        Assert.True(answer.GetProperty("published").GetBoolean());

        var published = Assert.Single(sidecar.Published);
        Assert.Single(sidecar.Calls, c => c.Method == "BulkPublishEvent");
        Assert.Equal("pubsub", published.PubsubName);
        Assert.Equal("dbt-job-run-completed", published.Topic);
        Assert.Equal("application/json", published.DataContentType);
        var evt = JsonSerializer.Deserialize(published.Data, ContractsJsonContext.Default.DbtRunEvent)!;
        Assert.Equal("wev_ok", evt.EventId);
        Assert.Equal("job.run.completed", evt.EventType);
        Assert.Equal("123", evt.Data.JobId);
        Assert.Equal("777", evt.Data.RunId);
        Assert.Equal(10, evt.Data.RunStatusCode);
        Assert.Equal("Success", evt.Data.RunStatus);
        Assert.Equal("1", evt.AccountId);
        Assert.Equal("wev_ok", published.Metadata["cloudevent.id"]);
        Assert.Equal("com.getdbt.cloud.job.run.completed", published.Metadata["cloudevent.type"]);
        Assert.Equal("https://cloud.getdbt.com/accounts/1", published.Metadata["cloudevent.source"]);
        Assert.Equal("777", published.Metadata["cloudevent.subject"]);
        Assert.Equal("123", published.Metadata["partitionKey"]);
        Assert.Equal("wev_ok", published.Metadata["MessageId"]);
    }

    [Fact]
    public async Task Post_64KBWebhookOfLessThanSigns_PublishedAtAboutItsSize()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var template = DbtPayloads.CompletedBody("wev_lt").Replace("\"runStatusMessage\":\"None\"", "\"runStatusMessage\":\"\"", StringComparison.Ordinal);
        var body = template.Replace("\"runStatusMessage\":\"\"", "\"runStatusMessage\":\"" + new string('<', 65536 - template.Length) + "\"", StringComparison.Ordinal);
        Assert.Equal(65536, Encoding.UTF8.GetByteCount(body));

        var response = await app.CreateClient().PostSignedAsync(body, "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var published = Assert.Single(sidecar.Published);
        // Was 391 KB: every '<' re-escaped as \u003C.
        Assert.InRange(published.Data.Length, 60_000, 66_000);
        var evt = JsonSerializer.Deserialize(published.Data, ContractsJsonContext.Default.DbtRunEvent)!;
        Assert.Equal(new string('<', 65536 - template.Length), evt.Data.RunStatusMessage);
    }

    [Fact]
    public async Task Post_SidecarRequiresApiToken_EveryCallCarriesIt()
    {
        await using var app = await IngressApp.StartAsync(settings: new Dictionary<string, string?> { ["DAPR_API_TOKEN"] = "sidecar-t0ken" });
        var sidecar = app.Sidecar;
        sidecar.ExpectedApiToken = "sidecar-t0ken";
        var client = app.CreateClient();
        // Ready first, as a deployment would be: the key read at start-up can be slow on a loaded CI machine, and it
        // is the token, not start-up timing, that this test is about. Readiness needs the key, so it needs the token.
        await WaitUntilReadyAsync(client, app);

        var response = await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_tok"), "k3y-one");

        Assert.True(response.StatusCode == HttpStatusCode.Accepted,
            $"{response.StatusCode}; logs:\n{string.Join('\n', app.Logs.Select(l => l.Text))}");
        Assert.Single(sidecar.Published);
        Assert.Contains(sidecar.Calls, c => c.Method == "GetSecret");
        Assert.All(sidecar.Calls, c => Assert.Equal("sidecar-t0ken", c.ApiToken));
        Assert.Contains(sidecar.Calls, c => c.Method == "BulkPublishEvent");
    }

    [Theory]
    [InlineData("job.run.started", "dbt-job-run-started")]
    [InlineData("job.run.errored", "dbt-job-run-errored")]
    public async Task Post_OtherKnownEventType_PublishedOnItsTopic(string eventType, string topic)
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;

        var response = await app.CreateClient().PostSignedAsync(DbtPayloads.CompletedBody("wev_t", eventType: eventType), "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(topic, Assert.Single(sidecar.Published).Topic);
    }

    [Fact]
    public async Task Post_ConfiguredNames_UsedForPublish()
    {
        await using var app = await IngressApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Dapr:PubsubName"] = "kafka-pubsub",
            ["Ingress:CompletedTopic"] = "runs-done",
        });
        var sidecar = app.Sidecar;

        var response = await app.CreateClient().PostSignedAsync(DbtPayloads.CompletedBody("wev_n"), "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var published = Assert.Single(sidecar.Published);
        Assert.Equal(("kafka-pubsub", "runs-done"), (published.PubsubName, published.Topic));
    }

    [Fact]
    public async Task Post_UnknownEventType_202NotPublished()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;

        var response = await app.CreateClient().PostSignedAsync(DbtPayloads.CompletedBody("wev_u", eventType: "job.run.cancelled"), "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.False(answer.GetProperty("published").GetBoolean());
        Assert.DoesNotContain(sidecar.Calls, c => c.Method == "BulkPublishEvent");
    }

    [Fact]
    public async Task Post_NumericIdsFromTheWild_PublishedAsStrings()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        const string body = """{"accountId":5,"webhooksID":"wsu_x","eventId":"wev_num","eventType":"job.run.completed","data":{"jobId":42,"runId":99,"runStatusCode":10,"runStatus":"Success"}}""";

        var response = await app.CreateClient().PostSignedAsync(body, "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var doc = JsonDocument.Parse(Assert.Single(sidecar.Published).Data);
        Assert.Equal("42", doc.RootElement.GetProperty("data").GetProperty("jobId").GetString());
        Assert.Equal("99", doc.RootElement.GetProperty("data").GetProperty("runId").GetString());
        Assert.Equal("wsu_x", doc.RootElement.GetProperty("webhookId").GetString());
    }

    private static Task WaitUntilReadyAsync(HttpClient client, IngressApp app) =>
        Eventually.UntilAsync(
            async () => (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode == HttpStatusCode.OK,
            "/readyz 200", TestContext.Current.CancellationToken, TimeSpan.FromSeconds(20),
            () => "logs:\n" + string.Join('\n', app.Logs.Select(l => l.Text)));
}
