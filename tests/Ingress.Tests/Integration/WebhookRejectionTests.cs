using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

public sealed class WebhookRejectionTests
{
    private static readonly string Valid = DbtPayloads.CompletedBody("wev_bad");
    private static readonly string ValidSignature = DbtPayloads.Sign(Valid, "k3y-one");

    public static TheoryData<string, string?, HttpStatusCode, string> BadRequests => new()
    {
        { Valid, null, HttpStatusCode.Unauthorized, "missing signature" },
        { Valid, "", HttpStatusCode.Unauthorized, "missing signature" },
        { Valid, ValidSignature[..63], HttpStatusCode.Unauthorized, "invalid signature" },
        { Valid, ValidSignature + "00", HttpStatusCode.Unauthorized, "invalid signature" },
        { Valid, "g" + ValidSignature[1..], HttpStatusCode.Unauthorized, "invalid signature" },
        { Valid, "Bearer " + ValidSignature, HttpStatusCode.Unauthorized, "invalid signature" },
        { Valid, DbtPayloads.Sign(Valid, "wrong-key"), HttpStatusCode.Unauthorized, "invalid signature" },
        { Valid, DbtPayloads.Sign(Valid + " ", "k3y-one"), HttpStatusCode.Unauthorized, "invalid signature" },
        { "{not json", DbtPayloads.Sign("{not json", "k3y-one"), HttpStatusCode.BadRequest, "malformed JSON" },
        { "", DbtPayloads.Sign("", "k3y-one"), HttpStatusCode.BadRequest, "malformed JSON" },
        { """{"eventType":"job.run.completed","data":{}}""", DbtPayloads.Sign("""{"eventType":"job.run.completed","data":{}}""", "k3y-one"), HttpStatusCode.BadRequest, "missing or empty field: eventId" },
        { """{"eventId":"e","data":{}}""", DbtPayloads.Sign("""{"eventId":"e","data":{}}""", "k3y-one"), HttpStatusCode.BadRequest, "missing or empty field: eventType" },
        { """{"eventId":"e","eventType":"job.run.completed"}""", DbtPayloads.Sign("""{"eventId":"e","eventType":"job.run.completed"}""", "k3y-one"), HttpStatusCode.BadRequest, "missing or invalid field: data (an object)" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Post_BadInput_RightStatusAndNoPublish(string body, string? signature, HttpStatusCode status, string reason)
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;

        var response = await app.CreateClient().PostWebhookAsync(Encoding.UTF8.GetBytes(body), signature);

        Assert.Equal(status, response.StatusCode);
        // The one error shape of both services: problem details, the reason in "detail".
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(reason, answer.GetProperty("detail").GetString());
        Assert.Equal((int)status, answer.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(answer.GetProperty("title").GetString()));
        Assert.DoesNotContain(sidecar.Calls, c => c.Method == "BulkPublishEvent");
    }

    [Theory]
    [InlineData(65536, HttpStatusCode.Accepted)]
    [InlineData(65537, HttpStatusCode.RequestEntityTooLarge)]
    [InlineData(1_000_000, HttpStatusCode.RequestEntityTooLarge)]
    public async Task Post_BodyAroundTheCap_RefusedOnlyPastIt(int size, HttpStatusCode expected)
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var body = Padded(DbtPayloads.CompletedBody("wev_size"), size);

        var response = await app.CreateClient().PostWebhookAsync(body, DbtPayloads.Sign(body, "k3y-one"));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.Accepted ? 1 : 0, sidecar.Published.Count);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverTheCap_413WithoutPublish()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var body = Padded(DbtPayloads.CompletedBody("wev_chunk"), 70_000);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/dbt")
        {
            Content = new StreamContent(new NoLengthStream(body)),
        };
        request.Headers.TryAddWithoutValidation("Authorization", DbtPayloads.Sign(body, "k3y-one"));

        var response = await app.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(sidecar.Published);
    }

    [Fact]
    public async Task Post_WrongMethod_405()
    {
        await using var app = await IngressApp.StartAsync();

        var response = await app.CreateClient().GetAsync("/webhooks/dbt", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Post_SignedEventIdWithALineBreak_400AndNoForgedLogLine()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var body = DbtPayloads.CompletedBody("wev_1\ninfo: ModeRefresh.Ingress[1] Published forged event");

        var response = await app.CreateClient().PostSignedAsync(body, "k3y-one");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("field eventId must not contain control characters or line breaks", answer.GetProperty("detail").GetString());
        Assert.Empty(sidecar.Published);
        Assert.DoesNotContain(app.Logs, l => l.Text.Contains('\n', StringComparison.Ordinal) || l.Text.Contains("forged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_IdsWithWhiteSpaceAround_PublishedTrimmed()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var body = DbtPayloads.CompletedBody(" wev_trim ", jobId: " 123 ", runId: "\t777 ");

        Assert.Equal(HttpStatusCode.Accepted, (await app.CreateClient().PostSignedAsync(body, "k3y-one")).StatusCode);

        var published = Assert.Single(sidecar.Published);
        var evt = JsonSerializer.Deserialize(published.Data, ModeRefresh.Contracts.ContractsJsonContext.Default.DbtRunEvent)!;
        Assert.Equal(("wev_trim", "123", "777"), (evt.EventId, evt.Data.JobId, evt.Data.RunId));
        Assert.Equal(("wev_trim", "777", "123"), (published.Metadata["cloudevent.id"], published.Metadata["cloudevent.subject"], published.Metadata["partitionKey"]));
    }

    [Fact]
    public async Task Post_ForgedFlood_OneWarningAndNoSecretsInLogs()
    {
        var time = new FakeTimeProvider(Start);
        await using var app = await IngressApp.StartAsync(keys: "k3y-one,rotated-key-two", time: time);
        var client = app.CreateClient();

        for (var i = 0; i < 40; i++)
        {
            var response = await client.PostWebhookAsync(Encoding.UTF8.GetBytes(Valid), DbtPayloads.Sign(Valid, "forger-" + i));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(Valid, "rotated-key-two")).StatusCode);
        time.Advance(TimeSpan.FromMinutes(1));

        var ingressLogs = IngressLogs(app);
        Assert.Single(ingressLogs, l => l.Level == LogLevel.Warning && l.Text.Contains("refused", StringComparison.Ordinal));
        Assert.Equal(40, ingressLogs.Count(l => l.Level == LogLevel.Debug && l.Text.Contains("invalid signature", StringComparison.Ordinal)));
        foreach (var secret in new[] { "k3y-one", "rotated-key-two", ValidSignature, DbtPayloads.Sign(Valid, "rotated-key-two"), DbtPayloads.Sign(Valid, "forger-3") })
        {
            Assert.DoesNotContain(app.Logs, l => l.Text.Contains(secret, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task Post_500Forgeries_SummaryCountsAllOfThemAtTheIntervalWithoutAnotherRequest()
    {
        var time = new FakeTimeProvider(Start);
        await using var app = await IngressApp.StartAsync(time: time);
        var client = app.CreateClient();

        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostWebhookAsync(Encoding.UTF8.GetBytes(Valid), DbtPayloads.Sign(Valid, "forger"))).StatusCode);
        }

        Assert.Empty(Summaries(app)); // nothing per request, not even for the first one
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(Summaries(app));
        time.Advance(TimeSpan.FromSeconds(1));
        var summary = Assert.Single(Summaries(app));
        Assert.StartsWith("500 webhooks refused in the last 00:01:00: 500 × invalid signature", summary, StringComparison.Ordinal);

        // A window with nothing refused writes nothing; the next refusal opens a new window of its own.
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Single(Summaries(app));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostWebhookAsync("{}"u8.ToArray(), null)).StatusCode);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, Summaries(app).Count);
        Assert.StartsWith("1 webhooks refused in the last 00:01:00: 1 × missing signature", Summaries(app)[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_MixedRefusals_OneSummaryWithEachReasonCounted()
    {
        var time = new FakeTimeProvider(Start);
        await using var app = await IngressApp.StartAsync(time: time);
        var client = app.CreateClient();

        for (var i = 0; i < 3; i++) await client.PostWebhookAsync(Encoding.UTF8.GetBytes(Valid), DbtPayloads.Sign(Valid, "forger"));
        for (var i = 0; i < 2; i++) await client.PostWebhookAsync("{not json"u8.ToArray(), DbtPayloads.Sign("{not json", "k3y-one"));
        await client.PostWebhookAsync(new byte[70_000], null);
        time.Advance(TimeSpan.FromMinutes(1));

        var summary = Assert.Single(Summaries(app));
        Assert.StartsWith("6 webhooks refused in the last 00:01:00: 3 × invalid signature, 2 × malformed JSON, 1 × body too large", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_300WithNoKeyInTheStore_BoundedLogAndAnExactSummary()
    {
        var time = new FakeTimeProvider(Start);
        await using var app = await IngressApp.StartAsync(keys: null, time: time);
        var client = app.CreateClient();

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostSignedAsync(Valid, "k3y-one")).StatusCode);
        }
        time.Advance(TimeSpan.FromMinutes(1));

        // One line for why there is no key (the failed read), one summary; nothing per request.
        var warnings = IngressLogs(app).Where(l => l.Level >= LogLevel.Warning).Select(l => l.Text).ToList();
        Assert.True(warnings.Count <= 2, string.Join("\n", warnings));
        Assert.Single(warnings, w => w.Contains("DBT_WEBHOOK_KEY", StringComparison.Ordinal) && w.Contains("failed", StringComparison.Ordinal));
        var summary = Assert.Single(Summaries(app));
        Assert.StartsWith("300 webhooks refused in the last 00:01:00: 300 × no webhook key available", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_300WithTheSidecarNeverThere_OneErrorNamingTheAddressAndAnExactSummary()
    {
        var time = new FakeTimeProvider(Start);
        await using var app = await IngressApp.StartUnwiredAsync(time: time);
        var client = app.CreateClient();

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostSignedAsync(Valid, "k3y-one")).StatusCode);
            // The key store re-reads a cold cache at most once a second: let it, so the reads fail again and again.
            if (i % 100 == 99) time.Advance(TimeSpan.FromSeconds(2));
        }
        time.Advance(TimeSpan.FromMinutes(1));

        var loud = IngressLogs(app).Where(l => l.Level >= LogLevel.Warning).Select(l => l.Text).ToList();
        var error = Assert.Single(loud, l => l.Contains("not reachable", StringComparison.Ordinal));
        Assert.Contains("http://127.0.0.1:1/", error, StringComparison.Ordinal);
        Assert.Contains("dapr run -f .", error, StringComparison.Ordinal);
        Assert.Contains("Connection refused", error, StringComparison.Ordinal);
        Assert.Equal(2, loud.Count); // the error and the summary
        Assert.StartsWith("300 webhooks refused in the last 00:01:00: 300 × no webhook key available", Assert.Single(Summaries(app)), StringComparison.Ordinal);
    }

    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static LogLine[] IngressLogs(IngressApp app) =>
        app.Logs.Where(l => l.Category.StartsWith("ModeRefresh", StringComparison.Ordinal)).ToArray();

    private static List<string> Summaries(IngressApp app) =>
        IngressLogs(app).Where(l => l.Level == LogLevel.Warning && l.Text.Contains("webhooks refused", StringComparison.Ordinal))
            .Select(l => l.Text).ToList();

    // Pads inside a JSON string field so the body stays valid JSON of exactly `size` bytes.
    private static byte[] Padded(string json, int size)
    {
        var prefix = json[..^1] + ",\"pad\":\"";
        return Encoding.UTF8.GetBytes(prefix + new string('x', size - prefix.Length - 2) + "\"}");
    }

    private sealed class NoLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
