using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ModeRefresh.Refresh.DeadLetters;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// Dead letters stay listable whatever their size or number: the list holds small entries, each dead letter's data
/// is kept under its own key and cut at DeadLetters:MaxPayloadBytes, so no state write outgrows daprd's 4 MiB limit
/// (which the stand-in enforces, as daprd's --max-body-size default does).
/// </summary>
public sealed class LargeDeadLetterTests
{
    private const string Store = "statestore";

    public static TheoryData<StandInStateFlavour> Flavours() => new(StandInStateFlavour.Redis, StandInStateFlavour.PostgreSql);

    [Theory]
    [InlineData(4_500_000)]
    [InlineData(6_000_000)]
    public async Task DeadLetter_SeveralMegabytes_SuccessListedAndCutWithANote(int size)
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        var evt = Large("wev_big", size);

        var answer = await app.DeliverAsync(evt, "ce-big", RefreshApp.DeadLetterRoute);

        Assert.Equal("SUCCESS", answer);
        var entry = Assert.Single(await app.ListDeadLettersAsync());
        Assert.Equal("wev_big", entry["eventId"]!.GetValue<string>());
        Assert.Equal(Encoding.UTF8.GetByteCount(evt.ToJsonString()), entry["payloadBytes"]!.GetValue<long>());
        Assert.True(entry["payloadTruncated"]!.GetValue<bool>());
        var one = await app.GetDeadLetterAsync(entry["id"]!.GetValue<string>());
        var raw = one["rawPayload"]!.GetValue<string>();
        Assert.Equal(1024 * 1024, Encoding.UTF8.GetByteCount(raw));
        Assert.StartsWith(evt.ToJsonString()[..200], raw, StringComparison.Ordinal);
        Assert.All(app.Sidecar.Calls.Where(c => c.Method == "SaveState"), c => Assert.Equal(Grpc.Core.StatusCode.OK, c.Outcome));
    }

    [Fact]
    public async Task DeadLetter_UnderAHigherLimit_KeptWholeAsJson()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), new Dictionary<string, string?> { ["DeadLetters:MaxPayloadBytes"] = "3145728" }));
        var evt = Large("wev_whole", 2_500_000);

        Assert.Equal("SUCCESS", await app.DeliverAsync(evt, "ce-whole", RefreshApp.DeadLetterRoute));

        var entry = Assert.Single(await app.ListDeadLettersAsync());
        Assert.Null(entry["payloadTruncated"]);
        var one = await app.GetDeadLetterAsync(entry["id"]!.GetValue<string>());
        Assert.Equal(evt.ToJsonString(), one["payload"]!.ToJsonString());
    }

    [Fact]
    public async Task DeadLetter_TenOfTwoMegabytesEach_AllListedAndTheListStaysSmall()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(Large($"wev_{i}", 2_000_000), $"ce-{i}", RefreshApp.DeadLetterRoute));
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"wev_{i}"), (await app.ListDeadLettersAsync()).Select(e => e["eventId"]!.GetValue<string>()));
        Assert.True(app.Sidecar.GetStateSnapshot(Store)["deadletters"].Value.Length < 10_000);
    }

    [Fact]
    public async Task DeadLetter_LongReasonAndIds_EntryKeepsTheirStartWithANote()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        var eventId = "wev_" + new string('x', 5000);
        var reason = string.Join("; ", Enumerable.Range(0, 2000).Select(i => $"acme/r{i}: Mode answered 503"));
        app.Sidecar.SetState(Store, DeadLetterStore.ReasonKey(eventId), Encoding.UTF8.GetBytes(reason));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: eventId), "ce-long", RefreshApp.DeadLetterRoute));

        var entry = Assert.Single(await app.ListDeadLettersAsync());
        var kept = entry["reason"]!.GetValue<string>();
        Assert.StartsWith(reason[..DeadLetterStore.MaxReasonChars], kept, StringComparison.Ordinal);
        Assert.EndsWith($"(cut: {reason.Length} characters in all)", kept, StringComparison.Ordinal);
        Assert.Equal(DeadLetterStore.MaxIdChars + 1, entry["eventId"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task DeadLetter_DroppedFromTheList_ItsDataIsDeletedToo()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), new Dictionary<string, string?> { ["DeadLetters:MaxEntries"] = "3" }));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: $"wev_{i}"), $"ce-{i}", RefreshApp.DeadLetterRoute));
        }

        var payloads = app.Sidecar.GetStateSnapshot(Store).Keys.Where(k => k.StartsWith("deadletters:payload:", StringComparison.Ordinal)).Order();
        Assert.Equal(Enumerable.Range(2, 3).Select(i => $"deadletters:payload:{DeadLetterStore.IdFor($"ce-{i}")}").Order(), payloads);
    }

    [Fact]
    public async Task DeadLetter_ListWrittenBeforeDataWasKeptApart_OldEntriesKeepTheirData()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Sidecar.SetState(Store, "deadletters", Encoding.UTF8.GetBytes(
            """[{"eventId":"wev_old","cloudEventId":"ce-old","reason":"old reason","deadLetteredAt":"2026-01-01T00:00:00+00:00","payload":{"eventId":"wev_old","n":1}}]"""));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_new"), "ce-new", RefreshApp.DeadLetterRoute));

        var list = await app.ListDeadLettersAsync();
        Assert.Equal(["wev_old", "wev_new"], list.Select(e => e["eventId"]!.GetValue<string>()));
        Assert.All(list, e => Assert.Null(e["payload"]));
        var old = await app.GetDeadLetterAsync(DeadLetterStore.IdFor("ce-old"));
        Assert.Equal("""{"eventId":"wev_old","n":1}""", old["payload"]!.ToJsonString());
        Assert.DoesNotContain("wev_old\",\"n\"", Encoding.UTF8.GetString(app.Sidecar.GetStateSnapshot(Store)["deadletters"].Value), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDeadLetter_UnknownId_NotFoundWithAReason()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        using var response = await app.Client.GetAsync("/deadletters/0123456789abcdef", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No dead letter with this id", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1023")]
    [InlineData("3145729")]
    public async Task Start_MaxPayloadBytesOutOfRange_FailsNamingTheSetting(string value)
    {
        var exception = await RefreshApp.StartFailureAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), new Dictionary<string, string?> { ["DeadLetters:MaxPayloadBytes"] = value }));

        Assert.Contains("DeadLetters:MaxPayloadBytes must be between 1024 and 3145728", exception.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Flavours))]
    public async Task DeadLetter_ManyAtOnceOnTwoReplicas_AllListedOnce(StandInStateFlavour flavour)
    {
        var store = new StandInStateStore(flavour);
        await using var mode = await FakeModeServer.StartAsync(RefreshApp.Token, RefreshApp.Secret, TestContext.Current.CancellationToken);
        var routes = RefreshApp.Report(0, "r1", "123");
        await using var one = await RefreshApp.StartAsync(routes, new StandInSidecarOptions { AppId = "refresh-1", StateStore = store }, mode);
        await using var two = await RefreshApp.StartAsync(routes, new StandInSidecarOptions { AppId = "refresh-2", StateStore = store }, mode);

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            (i % 2 == 0 ? one : two).DeliverAsync(DbtEvents.Completed(eventId: $"wev_{i}"), $"ce-{i}", RefreshApp.DeadLetterRoute)));

        Assert.All(answers, a => Assert.Equal("SUCCESS", a));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"wev_{i}").Order(),
            (await one.ListDeadLettersAsync()).Select(e => e["eventId"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task DeadLetter_ManyAtOnceOnOneReplica_NoStateCallFails()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            app.DeliverAsync(DbtEvents.Completed(eventId: $"wev_{i}"), $"ce-{i}", RefreshApp.DeadLetterRoute)));

        Assert.All(answers, a => Assert.Equal("SUCCESS", a));
        Assert.Equal(12, (await app.ListDeadLettersAsync()).Count);
        Assert.All(app.Sidecar.StateAttempts, a => Assert.Equal(StandInStateOutcome.Ok, a.Outcome));
    }

    /// <summary>A dbt run event with one field that makes it about <paramref name="size"/> bytes long.</summary>
    private static JsonObject Large(string eventId, int size)
    {
        var evt = DbtEvents.Completed(eventId: eventId);
        evt["data"]!["runStatusMessage"] = new string('m', size);
        return evt;
    }
}
