using System.Net;
using Dapr.Client.Autogen.Grpc.v1;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

/// <summary>
/// Webhooks that arrive while a publish is in flight are sent together in one bulk publish, and each still gets the
/// answer for its own event. One sender (PublishConcurrency 1) and a slow first publish make the batch deterministic.
/// </summary>
public sealed class PublishBatchingTests
{
    private static readonly TimeSpan SlowPublish = TimeSpan.FromSeconds(2);

    private static Dictionary<string, string?> OneSender(string timeout = "00:00:05") => new()
    {
        ["Ingress:PublishConcurrency"] = "1",
        ["Ingress:PublishTimeout"] = timeout,
    };

    [Fact]
    public async Task Post_WebhooksArriveDuringAPublish_SentAsOneBulkPublishWithOwnMetadata()
    {
        await using var app = await IngressApp.StartAsync(settings: OneSender());
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        sidecar.DelayNext("BulkPublishEvent", SlowPublish);
        var first = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_first", runId: "1"), "k3y-one");
        await WaitForCallsAsync(sidecar, 1);

        var later = Enumerable.Range(2, 10)
            .Select(i => client.PostSignedAsync(DbtPayloads.CompletedBody($"wev_{i}", jobId: $"job{i}", runId: $"{i}"), "k3y-one"))
            .ToList();
        var answers = await Task.WhenAll(later.Prepend(first));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
        var calls = BulkCalls(sidecar);
        Assert.Equal(2, calls.Count);
        Assert.Single(calls[0].Entries);
        Assert.Equal(10, calls[1].Entries.Count);
        // Every event keeps its own CloudEvent id and partition key inside the batch.
        Assert.Equal(Enumerable.Range(2, 10).Select(i => $"wev_{i}").Order(),
            calls[1].Entries.Select(e => e.Metadata["cloudevent.id"]).Order());
        Assert.All(calls[1].Entries, e => Assert.Equal("job" + e.Metadata["cloudevent.subject"], e.Metadata["partitionKey"]));
        Assert.Equal(11, sidecar.Published.Select(p => p.Metadata["cloudevent.id"]).Distinct().Count());
    }

    [Fact]
    public async Task Post_EventTypesMixedInOneBatch_OneBulkPublishPerTopic()
    {
        await using var app = await IngressApp.StartAsync(settings: OneSender());
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        sidecar.DelayNext("BulkPublishEvent", SlowPublish);
        var first = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_first"), "k3y-one");
        await WaitForCallsAsync(sidecar, 1);

        var mixed = new[] { ("wev_c", "job.run.completed"), ("wev_s", "job.run.started"), ("wev_e", "job.run.errored"), ("wev_c2", "job.run.completed") }
            .Select(x => client.PostSignedAsync(DbtPayloads.CompletedBody(x.Item1, eventType: x.Item2), "k3y-one"))
            .ToList();
        var answers = await Task.WhenAll(mixed.Prepend(first));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
        var byTopic = BulkCalls(sidecar).Skip(1).ToDictionary(c => c.Topic, c => c.Entries.Select(e => e.Metadata["cloudevent.id"]).Order().ToList());
        Assert.Equal(3, byTopic.Count);
        Assert.Equal(["wev_c", "wev_c2"], byTopic["dbt-job-run-completed"]);
        Assert.Equal(["wev_s"], byTopic["dbt-job-run-started"]);
        Assert.Equal(["wev_e"], byTopic["dbt-job-run-errored"]);
    }

    [Fact]
    public async Task Post_BrokerRefusesOneEntryOfABatch_EveryWebhookOfThatBatchGets503()
    {
        // daprd 1.10-1.18 fail the whole bulk publish when the broker refuses any entry, and publish the others anyway.
        await using var app = await IngressApp.StartAsync(settings: OneSender());
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        sidecar.FailBulkEntriesWhere(m => m.Metadata["cloudevent.id"] == "wev_refused");
        sidecar.DelayNext("BulkPublishEvent", SlowPublish);
        var first = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_first"), "k3y-one");
        await WaitForCallsAsync(sidecar, 1);

        var good1 = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_good1"), "k3y-one");
        var refused = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_refused"), "k3y-one");
        var good2 = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_good2"), "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, (await first).StatusCode);
        // Nothing tells which entries went out, so none of them gets a 202: dbt resends all three, and Refresh runs
        // each dbt run once however often it arrives. A 202 for an event that was not published would lose it.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await good1).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await refused).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await good2).StatusCode);
        Assert.Equal(3, BulkCalls(sidecar)[1].Entries.Count);
        Assert.Equal(["wev_first", "wev_good1", "wev_good2"], sidecar.Published.Select(p => p.Metadata["cloudevent.id"]).Order());
    }

    [Fact]
    public async Task Post_PluggableBrokerListsOneEntryAsFailed_Only_That_Webhook_Gets503()
    {
        // Only a pluggable pub/sub component makes daprd answer OK with per-entry failures.
        await using var app = await IngressApp.StartAsync(settings: OneSender());
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        sidecar.FailBulkEntriesWhere(m => m.Metadata["cloudevent.id"] == "wev_refused", StandInBulkRefusal.ListedAsFailedEntries);
        sidecar.DelayNext("BulkPublishEvent", SlowPublish);
        var first = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_first"), "k3y-one");
        await WaitForCallsAsync(sidecar, 1);

        var good1 = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_good1"), "k3y-one");
        var refused = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_refused"), "k3y-one");
        var good2 = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_good2"), "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, (await first).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await good1).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await refused).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await good2).StatusCode);
        Assert.Equal(3, BulkCalls(sidecar)[1].Entries.Count);
        Assert.Equal(["wev_first", "wev_good1", "wev_good2"], sidecar.Published.Select(p => p.Metadata["cloudevent.id"]).Order());
        Assert.Contains(app.Logs, l => l.Level == LogLevel.Warning && l.Text.Contains("wev_refused", StringComparison.Ordinal)
            && l.Text.Contains("sidecar refused the event", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_CallerGoneWhileQueued_NeverPublishedLater()
    {
        // Fake time: the hung publish ends only when the test advances the clock past the publish timeout.
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var app = await IngressApp.StartAsync(settings: OneSender("00:00:03"), time: time);
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        sidecar.HangNext("BulkPublishEvent");
        var hung = client.PostSignedAsync(DbtPayloads.CompletedBody("wev_hung"), "k3y-one");
        await WaitForCallsAsync(sidecar, 1);

        // dbt gives up on the second webhook while it waits behind the hung publish.
        using var giveUp = new CancellationTokenSource();
        var queued = client.PostSignedCancellableAsync(DbtPayloads.CompletedBody("wev_queued"), "k3y-one", giveUp.Token);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await WaitForLogAsync(app, "wev_queued");

        time.Advance(TimeSpan.FromSeconds(3.5));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await hung).StatusCode);
        // The sender is free again: a new webhook goes out, and the abandoned one does not go with it.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_next"), "k3y-one")).StatusCode);
        Assert.Equal(["wev_next"], sidecar.Published.Select(p => p.Metadata["cloudevent.id"]));
        Assert.DoesNotContain(BulkCalls(sidecar).SelectMany(c => c.Entries), e => e.Metadata["cloudevent.id"] == "wev_queued");
    }

    [Fact]
    public async Task Post_SidecarWithoutStableBulkPublish_FallsBackToAlpha1ForGood()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        sidecar.FailAlways("BulkPublishEvent", StatusCode.Unimplemented);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_a1"), "k3y-one")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_a2"), "k3y-one")).StatusCode);

        Assert.Equal(["BulkPublishEvent", "BulkPublishEventAlpha1", "BulkPublishEventAlpha1"],
            sidecar.Calls.Where(c => c.Method.Contains("Publish", StringComparison.Ordinal)).Select(c => c.Method));
        Assert.Equal(["wev_a1", "wev_a2"], sidecar.Published.Select(p => p.Metadata["cloudevent.id"]));
        Assert.Single(app.Logs, l => l.Text.Contains("does not serve BulkPublishEvent;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_SidecarWithoutAnyBulkPublish_PublishesOneByOneWithSameMetadata()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        sidecar.FailAlways("BulkPublishEvent", StatusCode.Unimplemented);
        sidecar.FailAlways("BulkPublishEventAlpha1", StatusCode.Unimplemented);

        var response = await app.CreateClient().PostSignedAsync(DbtPayloads.CompletedBody("wev_single", jobId: "9", runId: "99"), "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(["BulkPublishEvent", "BulkPublishEventAlpha1", "PublishEvent"],
            sidecar.Calls.Where(c => c.Method.Contains("Publish", StringComparison.Ordinal)).Select(c => c.Method));
        var published = Assert.Single(sidecar.Published);
        Assert.Equal(("wev_single", "99", "9"),
            (published.Metadata["cloudevent.id"], published.Metadata["cloudevent.subject"], published.Metadata["partitionKey"]));
        Assert.Equal("application/json", published.DataContentType);
    }

    [Fact]
    public async Task Start_GrpcEndpointNotHttp_FailsNamingTheSetting()
    {
        await using var app = await IngressApp.StartUnwiredAsync("unix:///tmp/dapr.sock");

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        var said = error + string.Join("\n", app.Logs.Select(l => l.Text));
        // Whichever client is built first (the SDK's or the publisher's) names the gRPC endpoint as the problem.
        Assert.Matches("(?i)grpc.endpoint", said);
    }

    private static List<BulkPublishRequest> BulkCalls(StandInSidecar sidecar) =>
        sidecar.Calls.Where(c => c.Method == "BulkPublishEvent").Select(c => (BulkPublishRequest)c.Request).ToList();

    private static Task WaitForLogAsync(IngressApp app, string text) =>
        Eventually.UntilAsync(() => app.Logs.Any(l => l.Text.Contains(text, StringComparison.Ordinal)),
            $"a log line mentioning {text}", TestContext.Current.CancellationToken);

    private static Task WaitForCallsAsync(StandInSidecar sidecar, int count) =>
        Eventually.UntilAsync(() => sidecar.Calls.Count(c => c.Method == "BulkPublishEvent") >= count,
            $"{count} bulk publish(es) at the sidecar", TestContext.Current.CancellationToken);
}
