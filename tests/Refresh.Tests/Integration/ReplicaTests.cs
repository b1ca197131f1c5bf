using System.Net;
using System.Text.Json.Nodes;
using Dapr.Client;
using ModeRefresh.Contracts;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// Two replicas of Refresh, as Kubernetes runs them: two sidecars of one app id on one state store, one Scheduler and
/// one broker. The stand-in's <see cref="StandInScheduler"/> hands each trigger of an app id's job to one of its
/// connected sidecars, round robin, as dapr/dapr v1.18.0 pkg/scheduler/server/internal/pool/loops/connections/store/instance.go
/// <c>get</c> does with <c>nextConn</c>; the stand-in's <see cref="StandInBroker"/> makes the two sidecars one
/// consumer group (daprd's default consumerID is the app id), so each published message goes to one of them. Each
/// replica's in-process gate does not reach the other: only the state store's ETags and first writes, and the one
/// job per name, do.
/// </summary>
public sealed class ReplicaTests
{
    private const string OutcomesTopic = "mode-report-run-finished";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Settings()
    {
        var settings = RefreshApp.Report(0, "r0", "123");
        settings["Refresh:Reports:0:MinInterval"] = "00:00:02";
        settings["Refresh:Reports:0:Parameters:run"] = "{runId}";
        settings["Tracking:PollInterval"] = "00:00:00.200";
        return settings;
    }

    private static JsonObject Run(int n) => DbtEvents.Completed(eventId: $"wev_{n}", runId: $"{1000 + n}");

    [Fact]
    public async Task TwoReplicas_ConcurrentAsksWithinInterval_OneRunAtOnceOneCoalescedRunEachOutcomePublishedOnce()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        var store = new StandInStateStore();
        await using var mode = await FakeModeServer.StartAsync(RefreshApp.Token, RefreshApp.Secret, Ct);
        // Mode takes a while to answer: the asks on both replicas are then all in before the first run is accepted.
        mode.Enqueue(FakeModeResponse.Slow(TimeSpan.FromMilliseconds(300)), report: "r0", times: 2);
        // Short backoffs and room for the RETRYs the replicas' ETag races answer, well inside the interval.
        var delivery = new StandInDeliveryOptions { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(200), MaxAttempts = 30 };
        await using var a = await RefreshApp.StartServedAsync(Settings(), scheduler, broker, store, mode, delivery: delivery);
        await using var b = await RefreshApp.StartServedAsync(Settings(), scheduler, broker, store, mode, delivery: delivery);
        await scheduler.WaitForSidecarsAsync(RefreshApp.AppId, 2, Wait);
        await using var ingress = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker, AppId = "ingress" }, Ct);
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint(ingress.GrpcEndpoint).UseHttpEndpoint(ingress.HttpEndpoint).Build();

        // A burst published as Ingress publishes it; the one consumer group of two spreads it over both replicas, and
        // each sidecar redelivers what its replica answers RETRY.
        for (var n = 1; n <= 10; n++)
        {
            await dapr.PublishByteEventAsync("pubsub", Topics.DbtRunCompleted, System.Text.Encoding.UTF8.GetBytes(Run(n).ToJsonString()), "application/json",
                new Dictionary<string, string> { [CloudEventMetadata.Id] = $"ce-wev_{n}" }, Ct);
        }

        await broker.WaitForDeliveriesAsync(d => d.Where(x => x.Answer == StandInAnswer.Success && x.Topic == Topics.DbtRunCompleted)
            .Select(x => x.MessageId).Distinct().Count() == 10, Wait);
        Assert.Single(mode.Runs);
        var asks = broker.Deliveries.Where(d => d.Topic == Topics.DbtRunCompleted).ToList();
        // Each ask answered SUCCESS once, by one replica (its RETRYs redelivered by the same sidecar), none dead-lettered.
        Assert.All(asks.GroupBy(d => d.MessageId), g => Assert.Single(g, d => d.Answer == StandInAnswer.Success));
        Assert.All(asks.GroupBy(d => d.MessageId), g => Assert.Single(g.Select(d => d.App).Distinct()));
        Assert.Equal(2, asks.Select(d => d.App).Distinct().Count());
        Assert.Empty(broker.MessagesOn(Topics.DbtRunCompletedDeadLetter));

        await mode.WaitForCallsAsync(c => c.Count(x => x.Accepted) >= 2, Wait);
        await Eventually.UntilAsync(() => scheduler.Jobs.Count == 0, "the coalesce and poll jobs done", Ct);
        await broker.WaitForMessagesAsync(m => m.Count(x => x.Topic == OutcomesTopic) >= 2, Wait);
        await Task.Delay(TimeSpan.FromMilliseconds(600), Ct); // a few poll intervals: nothing more may come

        var runs = mode.Runs;
        Assert.Equal(2, runs.Count);
        Assert.True(runs[1].At - runs[0].At >= TimeSpan.FromSeconds(1.5), $"the coalesced run came {runs[1].At - runs[0].At} after the first");
        // Each followed run's outcome once, though the poll callbacks went to both replicas.
        var outcomes = broker.MessagesOn(OutcomesTopic).Select(m => m.Envelope["data"]!["modeRunToken"]!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(runs.Select(r => r.RunToken!).Order(StringComparer.Ordinal), outcomes);
        Assert.Equal(2, scheduler.Triggers.Where(t => t.Name.StartsWith("track:", StringComparison.Ordinal)).Select(t => t.App).Distinct().Count());
        Assert.Single(scheduler.Triggers, t => t.Name == "coalesce:acme:r0" && t.Result == StandInJobResult.Success);
    }

    /// <summary>
    /// Replica A fires the coalesced run (Mode slow); replica B takes an ask meanwhile, joins the pending ask being
    /// fired and reschedules the job as due at once; the Scheduler hands that trigger to A (round robin may), where
    /// it waits behind the fire, which then gives the ask a due time one interval on. The trigger must not run it
    /// early. The Scheduler runs on a clock that is never advanced, so the test sends each trigger itself, as the
    /// stand-in Scheduler sends it (<c>POST /job/{name}</c> with the job's data).
    /// </summary>
    [Fact]
    public async Task TwoReplicas_TriggerWhileOtherReplicaJoinedDuringFire_NextRunWaitsForItsInterval()
    {
        var interval = TimeSpan.FromSeconds(1);
        using var scheduler = new StandInScheduler(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow));
        var broker = new StandInBroker();
        var store = new StandInStateStore();
        await using var mode = await FakeModeServer.StartAsync(RefreshApp.Token, RefreshApp.Secret, Ct);
        var settings = Settings();
        settings["Refresh:Reports:0:MinInterval"] = interval.ToString();
        settings["Tracking:Enabled"] = "false";
        await using var a = await RefreshApp.StartServedAsync(settings, scheduler, broker, store, mode);
        await using var b = await RefreshApp.StartServedAsync(settings, scheduler, broker, store, mode);
        const string job = "coalesce:acme:r0";

        Assert.Equal("SUCCESS", await a.DeliverAsync(Run(1))); // runs at once
        Assert.Equal("SUCCESS", await a.DeliverAsync(Run(2))); // joins the run due one interval on
        Assert.NotNull(scheduler.Find(RefreshApp.AppId, job));
        await Task.Delay(interval + TimeSpan.FromMilliseconds(100), Ct);

        mode.Enqueue(FakeModeResponse.Slow(TimeSpan.FromMilliseconds(1500)), report: "r0");
        var fire = TriggerAsync(a, job); // the due trigger: A runs the coalesced run for run 2
        await mode.WaitForCallsAsync(c => c.Count(x => x.Accepted) >= 2, Wait);
        Assert.Equal("SUCCESS", await b.DeliverAsync(Run(3))); // B joins the ask A is firing: the job is due at once
        var early = TriggerAsync(a, job); // that trigger, handed to A: it waits behind the fire
        Assert.Equal(HttpStatusCode.OK, await fire);
        Assert.Equal(HttpStatusCode.OK, await early);

        Assert.Equal(["1001", "1002"], mode.Runs.Select(r => r.Parameters!["run"]!.GetValue<string>()));
        var rescheduled = scheduler.Find(RefreshApp.AppId, job);
        Assert.NotNull(rescheduled);
        Assert.True(rescheduled.NextAt - scheduler.Clock.GetUtcNow() > interval / 2, $"the job is due {rescheduled.NextAt - scheduler.Clock.GetUtcNow()} from now");

        // Once due, the trigger runs run 3's ask, an interval after the fire ended.
        await Task.Delay(interval + TimeSpan.FromMilliseconds(100), Ct);
        Assert.Equal(HttpStatusCode.OK, await TriggerAsync(a, job));
        var runs = mode.Runs;
        Assert.Equal(["1001", "1002", "1003"], runs.Select(r => r.Parameters!["run"]!.GetValue<string>()));
        Assert.True(runs[2].At - runs[1].At >= interval, $"the next run came {runs[2].At - runs[1].At} after the fired one");
    }

    private static async Task<HttpStatusCode> TriggerAsync(RefreshApp app, string job)
    {
        using var content = new StringContent("""{"workspace":"acme","report":"r0"}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await app.Client.PostAsync($"/job/{job}", content, Ct);
        return response.StatusCode;
    }
}
