using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Harness;

/// <summary>Assertions over what the fake Mode server saw.</summary>
internal static class ModeChecks
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>The runIds Mode accepted a run for, per report: parsed from nothing but Mode's records and the known mapping.</summary>
    public static Dictionary<string, int> AcceptedPerReport(FakeModeServer mode) =>
        mode.Runs.GroupBy(r => r.Report!).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Every call had the configured workspace, the report-runs path, valid Basic credentials and JSON.</summary>
    public static void AllWellFormed(IEnumerable<FakeModeCall> calls)
    {
        foreach (var call in calls)
        {
            Assert.Equal("POST", call.Method);
            Assert.Equal($"/api/{EndToEndSystem.Workspace}/reports/{call.Report}/runs", call.Path);
            Assert.True(call.AuthOk, $"bad credentials on {call.Path}: {call.Authorization}");
        }
    }

    /// <summary>Most calls seen by Mode within any one-second window (starting at each call).</summary>
    public static int MaxPerSecond(IReadOnlyList<FakeModeCall> calls)
    {
        var times = calls.Select(c => c.At).Order().ToArray();
        var max = 0;
        for (int i = 0, j = 0; i < times.Length; i++)
        {
            while (j < times.Length && times[j] - times[i] < TimeSpan.FromSeconds(1))
            {
                j++;
            }

            max = Math.Max(max, j - i);
        }

        return max;
    }

    /// <summary>The limit holds over every call Mode saw (retries included), and the window check saw enough calls to matter.</summary>
    public static void RateWithin(FakeModeServer mode, int limit) =>
        Assert.True(MaxPerSecond(mode.Calls) <= limit, $"Mode saw {MaxPerSecond(mode.Calls)} calls within one second; limit {limit}.");

    /// <summary>Waits until every report in <paramref name="expected"/> has at least its count of accepted runs.</summary>
    public static Task WaitForRunsAsync(FakeModeServer mode, IReadOnlyDictionary<string, int> expected, TimeSpan? timeout = null) =>
        mode.WaitForCallsAsync(
            calls => expected.All(e => calls.Count(c => c.Accepted && c.Report == e.Key) >= e.Value), timeout ?? Patience);
}
