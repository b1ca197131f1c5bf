using System.Net;
using ModeRefresh.EndToEnd.Tests.Harness;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

public sealed class LoadTests
{
    private const int Jobs = 20;
    private const int WebhookCount = 200;
    private const int Senders = 20;

    [Fact]
    public async Task TwoHundredWebhooksTwentyJobsTwentySenders_ExactlyTheExpectedModeRuns()
    {
        // Report report-j{n} follows job j{n}; a limit of 40/s keeps 200 runs near 5 s rather than 50 s at the default 4/s.
        var settings = new Dictionary<string, string?> { ["Mode__RequestsPerSecond"] = "40", ["Mode__TotalTimeout"] = "00:00:15", ["Idempotency__Lease"] = "00:00:20" };
        for (var j = 0; j < Jobs; j++)
        {
            settings[$"Refresh__Reports__{j}__Report"] = $"report-j{j}";
            settings[$"Refresh__Reports__{j}__Jobs__0"] = $"j{j}";
        }

        await using var system = await EndToEndSystem.StartAsync(settings);
        var work = Enumerable.Range(0, WebhookCount).Select(i => (Id: $"wev_load_{i}", Job: $"j{i % Jobs}", Run: $"run-load-{i}")).ToArray();
        var statuses = new HttpStatusCode[WebhookCount];

        await Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
        {
            for (var i = s; i < WebhookCount; i += Senders)
            {
                using var response = await system.SendAsync(Webhooks.Completed(work[i].Id, work[i].Job, work[i].Run));
                statuses[i] = response.StatusCode;
            }
        })));
        await system.WaitSettledAsync(work.Select(w => w.Id), 1, TimeSpan.FromSeconds(120));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));
        var expected = work.Select(w => $"report-{w.Job}").GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected, ModeChecks.AcceptedPerReport(system.Mode));
        Assert.Equal(WebhookCount, system.Mode.Runs.Count);
        ModeChecks.AllWellFormed(system.Mode.Calls);
        ModeChecks.RateWithin(system.Mode, 40);
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
        var span = system.Mode.Runs.Max(r => r.At) - system.Mode.Runs.Min(r => r.At);
        TestContext.Current.TestOutputHelper?.WriteLine($"load: {WebhookCount} webhooks -> {system.Mode.Runs.Count} Mode runs in {span.TotalSeconds:F1} s");
    }
}
