using System.Net;
using ModeRefresh.EndToEnd.Tests.Harness;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>Mode throttling, failing, down or hanging: every refresh happens once Mode recovers, none lost, none twice.</summary>
public sealed class ModeFaultTests
{
    private const int Limit = 4; // Mode:RequestsPerSecond default

    [Fact]
    public async Task Mode429Burst_AllRefreshesDoneOnceAndRateKept()
    {
        await using var system = await EndToEndSystem.StartAsync();
        system.Mode.Enqueue(FakeModeResponse.TooManyRequests(), times: 4);
        system.Mode.Enqueue(FakeModeResponse.TooManyRequests(TimeSpan.FromSeconds(1)), times: 2);

        var ids = await SendRunsAsync(system, "429", 3);

        await AssertEachRunOnceAsync(system, ids, runs: 3, minCalls: 6 + 6);
    }

    [Fact]
    public async Task Mode5xxStreak_AllRefreshesDoneOnceAndRateKept()
    {
        await using var system = await EndToEndSystem.StartAsync();
        system.Mode.Enqueue(FakeModeResponse.ServerError, times: 5);
        system.Mode.Enqueue(FakeModeResponse.Unavailable, times: 5);
        system.Mode.Enqueue(FakeModeResponse.Status(502), times: 5);

        var ids = await SendRunsAsync(system, "5xx", 3);

        await AssertEachRunOnceAsync(system, ids, runs: 3, minCalls: 15 + 6);
    }

    [Fact]
    public async Task ModeOutageOfThirtySeconds_AllRefreshesDoneAfterRecovery()
    {
        // The real 30 s: far longer than Refresh's own retries (Mode:TotalTimeout 5 s), so recovery depends on
        // the RETRY answer and the sidecar's redelivery, as it would in production.
        await using var system = await EndToEndSystem.StartAsync();
        var outageEnds = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        system.Mode.StartOutage(TimeSpan.FromSeconds(30));

        var ids = await SendRunsAsync(system, "outage", 3);
        await ModeChecks.WaitForRunsAsync(system.Mode, new Dictionary<string, int> { ["report-a"] = 3, ["report-b"] = 3 }, TimeSpan.FromSeconds(90));

        Assert.All(system.Mode.Runs, r => Assert.True(r.At >= outageEnds, $"a run was accepted during the outage at {r.At:O}"));
        Assert.Contains(system.Broker.Deliveries, d => d.Answer == StandInAnswer.Retry);
        await AssertEachRunOnceAsync(system, ids, runs: 3, minCalls: 12);
    }

    [Fact]
    public async Task ModeHangingResponses_AllRefreshesDoneOnce()
    {
        await using var system = await EndToEndSystem.StartAsync();
        system.Mode.Enqueue(FakeModeResponse.Hang, times: 4); // each ends at Mode:AttemptTimeout (2 s)

        var ids = await SendRunsAsync(system, "hang", 2);

        await AssertEachRunOnceAsync(system, ids, runs: 2, minCalls: 4 + 4);
        Assert.Equal(4, system.Mode.Calls.Count(c => c.StatusCode == FakeModeCall.NoAnswer));
    }

    [Fact]
    public async Task ModeBacklog_CallRateNeverExceedsTheLimitInAnyOneSecond()
    {
        await using var system = await EndToEndSystem.StartAsync();

        var ids = await SendRunsAsync(system, "rate", 8); // 16 report runs at once, 4 per second allowed

        await AssertEachRunOnceAsync(system, ids, runs: 8, minCalls: 16);
        Assert.Equal(Limit, ModeChecks.MaxPerSecond(system.Mode.Calls)); // the limiter is actually reached, never passed
        var span = system.Mode.Calls[^1].At - system.Mode.Calls[0].At;
        Assert.True(span >= TimeSpan.FromSeconds(3), $"16 calls at most {Limit}/s took only {span}");
    }

    private static async Task<string[]> SendRunsAsync(EndToEndSystem system, string tag, int count)
    {
        var ids = Enumerable.Range(0, count).Select(i => $"wev_{tag}_{i}").ToArray();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            using var response = await system.SendAsync(Webhooks.Completed(id, "123", $"run-{tag}-{i}"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        return ids;
    }

    private static async Task AssertEachRunOnceAsync(EndToEndSystem system, string[] ids, int runs, int minCalls)
    {
        await system.WaitSettledAsync(ids, 1, TimeSpan.FromSeconds(90));
        Assert.Equal(new Dictionary<string, int> { ["report-a"] = runs, ["report-b"] = runs }, ModeChecks.AcceptedPerReport(system.Mode));
        Assert.True(system.Mode.Calls.Count >= minCalls, $"expected the faults to be hit: {system.Mode.Calls.Count} calls");
        ModeChecks.AllWellFormed(system.Mode.Calls);
        ModeChecks.RateWithin(system.Mode, Limit);
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
        Assert.Empty(await system.DeadLettersAsync());
    }
}
