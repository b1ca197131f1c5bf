using System.Net;
using ModeRefresh.EndToEnd.Tests.Harness;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

public sealed class CrashTests
{
    /// <param name="modeAccepted">
    /// False: Mode hangs and never starts the run. True: Mode started the run but its answer had not arrived when
    /// the process died: the one case README allows a duplicate for.
    /// </param>
    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task RefreshKilledDuringModeCall_RestartedCompletesWithAtMostOneDuplicate(bool modeAccepted, int expectedDuplicates)
    {
        await using var system = await EndToEndSystem.StartAsync(new Dictionary<string, string?>
        {
            ["Refresh__Reports__0__Report"] = "report-crash",
            ["Refresh__Reports__0__Jobs__0"] = "123",
        });
        system.Mode.Enqueue(modeAccepted ? FakeModeResponse.Slow(TimeSpan.FromSeconds(30)) : FakeModeResponse.Hang, "report-crash");

        using var response = await system.SendAsync(Webhooks.Completed("wev_crash", "123", "run-crash"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await system.Mode.WaitForCallsAsync(c => c.Count == 1, ModeChecks.Patience); // the call is in flight, hanging
        await system.Refresh.KillAsync(); // SIGKILL: the "started" record stays behind
        await system.RestartRefreshAsync();
        await ModeChecks.WaitForRunsAsync(system.Mode, new Dictionary<string, int> { ["report-crash"] = 1 });
        await system.WaitSettledAsync("wev_crash");

        var calls = system.Mode.Calls;
        var duplicates = system.Mode.Runs.Count - 1;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"crash (Mode accepted before the kill: {modeAccepted}): {calls.Count} Mode calls ({string.Join(", ", calls.Select(c => c.StatusCode))}), " +
            $"{system.Mode.Runs.Count} accepted run(s), {duplicates} duplicate(s); " +
            $"deliveries: {string.Join(", ", system.Broker.Deliveries.Select(d => $"{d.Attempt}:{d.Answer}"))}");
        Assert.InRange(duplicates, 0, 1);
        Assert.Equal(expectedDuplicates, duplicates);
        Assert.Equal(modeAccepted ? 202 : FakeModeCall.NoAnswer, calls[0].StatusCode);
        Assert.Contains(system.Broker.Deliveries, d => d.Answer == StandInAnswer.Unreachable); // the kill was seen as a failed delivery
        ModeChecks.AllWellFormed(calls);
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
        Assert.Empty(await system.DeadLettersAsync());
    }
}
