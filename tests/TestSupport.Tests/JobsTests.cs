using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Time.Testing;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>
/// The Jobs API as daprd serves it, driven by Dapr's generated gRPC client (Dapr.Client 1.19's DaprClient has no jobs
/// methods): scheduling and its refusals, the <c>POST /job/{name}</c> callback, the failure policy, and the durable
/// part — a shared scheduler outlives sidecars and apps, and delivers each trigger to one sidecar of the app id.
/// </summary>
public sealed class JobsTests
{
    private const string AppId = "refresh";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("30s")]
    [InlineData("PT30S")]
    [InlineData("rfc3339")]
    public async Task ScheduleJob_DueTime_CallsAppAtDueTimeWithDataAndToken(string dueTime)
    {
        await using var rig = await Rig.StartAsync();
        var due = rig.Clock.GetUtcNow().AddSeconds(30);
        if (dueTime == "rfc3339") dueTime = due.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);

        await rig.Client.ScheduleJobAsync(Schedule("poll.r1", dueTime, Struct(("run", "abc"))), cancellationToken: Sdk.Ct);
        rig.Clock.Advance(TimeSpan.FromSeconds(29));

        var waiting = Assert.IsType<StandInJob>(rig.Scheduler.Find(AppId, "poll.r1"));
        Assert.Equal((StandInJobState.Waiting, due), (waiting.State, waiting.NextAt));
        rig.Clock.Advance(TimeSpan.FromSeconds(1));
        await rig.Scheduler.WaitForTriggersAsync(t => t.Count == 1, Wait);

        var received = Assert.Single(rig.App.Received);
        Assert.Equal(("/job/poll.r1", "application/json", "app-token"), (received.Route, received.ContentType, received.ApiToken));
        Assert.Equal("abc", JsonNode.Parse(received.Body)!["run"]!.GetValue<string>());
        var trigger = Assert.Single(rig.Scheduler.Triggers);
        Assert.Equal((AppId, "poll.r1", 1, StandInJobResult.Success, 200, due), (trigger.AppId, trigger.Name, trigger.Attempt, trigger.Result, trigger.HttpStatus, trigger.ScheduledAt));
        Assert.Null(rig.Scheduler.Find(AppId, "poll.r1")); // a one-shot job is gone once delivered
    }

    [Fact]
    public async Task ScheduleJob_ExistingNameWithoutOverwrite_AlreadyExistsAndFirstJobKept()
    {
        await using var rig = await Rig.StartAsync();
        await rig.Client.ScheduleJobAsync(Schedule("poll.r1", "10s"), cancellationToken: Sdk.Ct);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await rig.Client.ScheduleJobAsync(Schedule("poll.r1", "60s"), cancellationToken: Sdk.Ct));

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal("failed to schedule job due to: rpc error: code = AlreadyExists desc = job already exists: 'app||default||refresh||poll.r1'", ex.Status.Detail);
        Assert.Equal("10s", rig.Scheduler.Find(AppId, "poll.r1")!.Definition.DueTime);
    }

    [Fact]
    public async Task ScheduleJob_Overwrite_ReplacesDueTimeAndData()
    {
        await using var rig = await Rig.StartAsync();
        await rig.Client.ScheduleJobAsync(Schedule("poll.r1", "10s", Struct(("v", "old"))), cancellationToken: Sdk.Ct);
        var replace = Schedule("poll.r1", "60s", Struct(("v", "new")));
        replace.Overwrite = true;

        await rig.Client.ScheduleJobAsync(replace, cancellationToken: Sdk.Ct);
        rig.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(StandInJobState.Waiting, rig.Scheduler.Find(AppId, "poll.r1")!.State);
        rig.Clock.Advance(TimeSpan.FromSeconds(50));
        await rig.Scheduler.WaitForTriggersAsync(t => t.Count == 1, Wait);

        Assert.Equal("new", JsonNode.Parse(Assert.Single(rig.App.Received).Body)!["v"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteJob_BeforeDue_NeverCalledAndGetAnswersNotFoundAsDaprdDoes()
    {
        await using var rig = await Rig.StartAsync();
        await rig.Client.ScheduleJobAsync(Schedule("poll.r1", "10s"), cancellationToken: Sdk.Ct);
        await rig.Client.ScheduleJobAsync(Schedule("marker", "20s"), cancellationToken: Sdk.Ct);

        await rig.Client.DeleteJobAsync(new Autogen.DeleteJobRequest { Name = "poll.r1" }, cancellationToken: Sdk.Ct);
        await rig.Client.DeleteJobAsync(new Autogen.DeleteJobRequest { Name = "never-was" }, cancellationToken: Sdk.Ct); // no error
        rig.Clock.Advance(TimeSpan.FromSeconds(20));
        await rig.Scheduler.WaitForTriggersAsync(t => t.Count == 1, Wait);

        Assert.Equal(["/job/marker"], rig.App.Received.Select(r => r.Route));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await rig.Client.GetJobAsync(new Autogen.GetJobRequest { Name = "poll.r1" }, cancellationToken: Sdk.Ct));
        // daprd v1.18.0 answers every Scheduler error of GetJob as Internal.
        Assert.Equal((StatusCode.Internal, "failed to get job due to: rpc error: code = NotFound desc = job not found: poll.r1"), (ex.StatusCode, ex.Status.Detail));
    }

    [Fact]
    public async Task GetJob_Scheduled_AnswersTheJobWithTheDefaultFailurePolicy()
    {
        await using var rig = await Rig.StartAsync();
        await rig.Client.ScheduleJobAsync(Schedule("poll.r1", "90s", Struct(("run", "abc"))), cancellationToken: Sdk.Ct);

        var job = (await rig.Client.GetJobAsync(new Autogen.GetJobRequest { Name = "poll.r1" }, cancellationToken: Sdk.Ct)).Job;

        Assert.Equal(("poll.r1", "90s", false), (job.Name, job.DueTime, job.HasSchedule));
        Assert.Equal("abc", job.Data.Unpack<Value>().StructValue.Fields["run"].StringValue);
        Assert.Equal(Autogen.JobFailurePolicy.PolicyOneofCase.Constant, job.FailurePolicy.PolicyCase);
        Assert.Equal((TimeSpan.FromSeconds(1), 3u), (job.FailurePolicy.Constant.Interval.ToTimeSpan(), job.FailurePolicy.Constant.MaxRetries));
    }

    public static TheoryData<string, StatusCode, string> Refusals => new()
    {
        { "no job", StatusCode.InvalidArgument, "Job is empty" },
        { "empty name", StatusCode.InvalidArgument, "Name is empty" },
        { "pipe in name", StatusCode.InvalidArgument, "Name is empty" },
        { "no schedule", StatusCode.InvalidArgument, "Schedule is empty" },
        { "slash in name", StatusCode.Internal, "failed to schedule job due to: rpc error: code = Unknown desc = job name is invalid \"app||default||refresh||run/1\"" },
        { "bad due time", StatusCode.Internal, "failed to schedule job due to: rpc error: code = Unknown desc = job failed validation: due time format not recognized" },
        { "repeats without schedule", StatusCode.Internal, "failed to schedule job due to: rpc error: code = Unknown desc = job failed validation: job must have a schedule to repeat" },
        { "cron schedule", StatusCode.Unimplemented, "stand-in sidecar: only '@every <duration>' schedules are modelled" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ScheduleJob_InvalidRequest_RefusedAsDaprdAnswers(string what, StatusCode code, string message)
    {
        await using var rig = await Rig.StartAsync();
        var request = what switch
        {
            "no job" => new Autogen.ScheduleJobRequest(),
            "empty name" => Schedule("", "10s"),
            "pipe in name" => Schedule("a|b", "10s"),
            "no schedule" => new Autogen.ScheduleJobRequest { Job = new Autogen.Job { Name = "a" } },
            "slash in name" => Schedule("run/1", "10s"),
            "bad due time" => Schedule("a", "tomorrow"),
            "repeats without schedule" => new Autogen.ScheduleJobRequest { Job = new Autogen.Job { Name = "a", DueTime = "1s", Repeats = 2 } },
            _ => new Autogen.ScheduleJobRequest { Job = new Autogen.Job { Name = "a", Schedule = "0 30 * * * *" } },
        };

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await rig.Client.ScheduleJobAsync(request, cancellationToken: Sdk.Ct));

        Assert.Equal(code, ex.StatusCode);
        Assert.StartsWith(message, ex.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(rig.Scheduler.Jobs);
    }

    [Fact]
    public async Task Trigger_AppFails_ConstantPolicyRetriesAtItsIntervalThenDrops()
    {
        await using var rig = await Rig.StartAsync();
        rig.App.Answer = (_, _) => (500, null);
        var request = Schedule("poll.r1", "10s");
        request.Job.FailurePolicy = Constant(TimeSpan.FromSeconds(5), maxRetries: 2);
        await rig.Client.ScheduleJobAsync(request, cancellationToken: Sdk.Ct);
        var due = rig.Clock.GetUtcNow().AddSeconds(10);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            rig.Clock.Advance(attempt == 1 ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(5));
            await rig.Scheduler.WaitForTriggersAsync(t => t.Count == attempt, Wait);
            if (attempt < 3)
            {
                var job = rig.Scheduler.Find(AppId, "poll.r1")!;
                Assert.Equal(((uint)attempt, due.AddSeconds(5 * attempt)), (job.Attempts, job.NextAt));
            }
        }

        Assert.Null(rig.Scheduler.Find(AppId, "poll.r1"));
        rig.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal([(1, 500), (2, 500), (3, 500)], rig.Scheduler.Triggers.Select(t => (t.Attempt, t.HttpStatus ?? 0)));
        Assert.All(rig.Scheduler.Triggers, t => Assert.Equal(StandInJobResult.Failed, t.Result));
        Assert.Equal(3, rig.App.Received.Count);
    }

    [Theory]
    [InlineData("default", 4)] // none given: constant, 1 s, 3 retries (go-etcd-cron builder.go)
    [InlineData("drop", 1)]
    public async Task Trigger_AppFails_PolicyDecidesAttempts(string policy, int attempts)
    {
        await using var rig = await Rig.StartAsync();
        rig.App.Answer = (_, _) => (503, null);
        var request = Schedule("poll.r1", "1s");
        if (policy == "drop") request.Job.FailurePolicy = new Autogen.JobFailurePolicy { Drop = new Autogen.JobFailurePolicyDrop() };
        await rig.Client.ScheduleJobAsync(request, cancellationToken: Sdk.Ct);

        for (var n = 1; n <= attempts; n++)
        {
            rig.Clock.Advance(TimeSpan.FromSeconds(1));
            await rig.Scheduler.WaitForTriggersAsync(t => t.Count == n, Wait);
        }

        Assert.Null(rig.Scheduler.Find(AppId, "poll.r1"));
        rig.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(attempts, rig.App.Received.Count);
    }

    [Fact]
    public async Task Trigger_App404_CountsAsDoneAndIsNotRetried()
    {
        await using var rig = await Rig.StartAsync();
        rig.App.Answer = (_, _) => (404, null);
        await rig.Client.ScheduleJobAsync(Schedule("poll.r1", "1s"), cancellationToken: Sdk.Ct);

        rig.Clock.Advance(TimeSpan.FromSeconds(1));
        await rig.Scheduler.WaitForTriggersAsync(t => t.Count == 1, Wait);

        Assert.Equal(StandInJobResult.NotFound, Assert.Single(rig.Scheduler.Triggers).Result);
        Assert.Null(rig.Scheduler.Find(AppId, "poll.r1"));
    }

    [Fact]
    public async Task ScheduleJob_EverySchedule_FiresEachPeriodUntilRepeatsDone()
    {
        await using var rig = await Rig.StartAsync();
        var start = rig.Clock.GetUtcNow();
        await rig.Client.ScheduleJobAsync(new Autogen.ScheduleJobRequest
        {
            Job = new Autogen.Job { Name = "tick", Schedule = "@every 10s", Repeats = 3 },
        }, cancellationToken: Sdk.Ct);

        for (var n = 1; n <= 3; n++)
        {
            rig.Clock.Advance(TimeSpan.FromSeconds(10));
            await rig.Scheduler.WaitForTriggersAsync(t => t.Count == n, Wait);
        }

        Assert.Equal([start.AddSeconds(10), start.AddSeconds(20), start.AddSeconds(30)], rig.Scheduler.Triggers.Select(t => t.ScheduledAt));
        Assert.Null(rig.Scheduler.Find(AppId, "tick"));
        Assert.Equal("", rig.App.Received[0].Body); // no data: an empty body
    }

    [Fact]
    public async Task Trigger_DataNotAValue_SentAsItsRawBytesTrimmed()
    {
        await using var rig = await Rig.StartAsync();
        var request = Schedule("raw", "1s");
        request.Job.Data = new Any { TypeUrl = "type.googleapis.com/example.Raw", Value = ByteString.CopyFromUtf8(" {\"a\":1}\n") };

        await rig.Client.ScheduleJobAsync(request, cancellationToken: Sdk.Ct);
        rig.Clock.Advance(TimeSpan.FromSeconds(1));
        await rig.Scheduler.WaitForTriggersAsync(t => t.Count == 1, Wait);

        Assert.Equal("{\"a\":1}", Assert.Single(rig.App.Received).Body);
    }

    [Fact]
    public async Task DeleteJobsByPrefix_RemovesOnlyThatPrefixOfThisAppId()
    {
        await using var rig = await Rig.StartAsync();
        await using var other = await StandInSidecar.StartAsync(new StandInSidecarOptions { AppId = "other", Scheduler = rig.Scheduler }, Sdk.Ct);
        using var otherChannel = GrpcChannel.ForAddress(other.GrpcEndpoint);
        var otherClient = new Autogen.Dapr.DaprClient(otherChannel);
        foreach (var name in new[] { "poll.a", "poll.b", "coalesce.a" })
        {
            await rig.Client.ScheduleJobAsync(Schedule(name, "1h"), cancellationToken: Sdk.Ct);
        }

        await otherClient.ScheduleJobAsync(Schedule("poll.a", "1h"), cancellationToken: Sdk.Ct);

        await rig.Client.DeleteJobsByPrefixAsync(new Autogen.DeleteJobsByPrefixRequest { NamePrefix = "poll." }, cancellationToken: Sdk.Ct);

        var left = await rig.Client.ListJobsAsync(new Autogen.ListJobsRequest(), cancellationToken: Sdk.Ct);
        Assert.Equal(["coalesce.a"], left.Jobs.Select(j => j.Name));
        Assert.Equal([("other", "poll.a"), (AppId, "coalesce.a")], rig.Scheduler.Jobs.Select(j => (j.AppId, j.Name)));
    }

    [Fact]
    public async Task ScheduleJobAlpha1_OlderClientsName_ServedTheSame()
    {
        await using var rig = await Rig.StartAsync();

#pragma warning disable CS0612 // Obsolete in the protos, but daprd 1.18 still serves it and daprd 1.14-1.17 serve only it.
        await rig.Client.ScheduleJobAlpha1Async(Schedule("poll.r1", "1s"), cancellationToken: Sdk.Ct);
        var job = (await rig.Client.GetJobAlpha1Async(new Autogen.GetJobRequest { Name = "poll.r1" }, cancellationToken: Sdk.Ct)).Job;
#pragma warning restore CS0612

        Assert.Equal("1s", job.DueTime);
        Assert.Equal(["ScheduleJobAlpha1", "GetJobAlpha1"], rig.Sidecar.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task FailNext_ScheduleJob_InjectsTheFaultLikeAnyOtherMethod()
    {
        await using var rig = await Rig.StartAsync();
        rig.Sidecar.FailNext("ScheduleJob", StatusCode.Unavailable);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await rig.Client.ScheduleJobAsync(Schedule("poll.r1", "1s"), cancellationToken: Sdk.Ct));
        await rig.Client.ScheduleJobAsync(Schedule("poll.r1", "1s"), cancellationToken: Sdk.Ct);

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Single(rig.Scheduler.Jobs);
    }

    [Fact]
    public async Task Trigger_AppRestarted_RetriedUntilTheAppIsBackThenDeliveredOnce()
    {
        // Real time: the retries meet a port that refuses connections, then the same port serving again.
        var scheduler = new StandInScheduler();
        using var _ = scheduler;
        var port = SubscriberApp.FreePort();
        var app = await SubscriberApp.StartAsync("[]", port);
        await using var sidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions
        {
            AppId = AppId, AppChannel = app.Url, Scheduler = scheduler, AppApiToken = "app-token",
        }, Sdk.Ct);
        await scheduler.WaitForSidecarsAsync(AppId, 1, Wait);
        using var channel = GrpcChannel.ForAddress(sidecar.GrpcEndpoint);
        var client = new Autogen.Dapr.DaprClient(channel);
        await app.DisposeAsync(); // the app goes away; its sidecar stays, as when the app process is killed
        var request = Schedule("poll.r1", "100ms", Struct(("run", "abc")));
        request.Job.FailurePolicy = Constant(TimeSpan.FromMilliseconds(100), maxRetries: null);

        await client.ScheduleJobAsync(request, cancellationToken: Sdk.Ct);
        await scheduler.WaitForTriggersAsync(t => t.Count(x => x.Result == StandInJobResult.Failed) >= 2, Wait);
        await using var restarted = await SubscriberApp.StartAsync("[]", port);
        await scheduler.WaitForTriggersAsync(t => t.Any(x => x.Result == StandInJobResult.Success), Wait);

        Assert.Equal("abc", JsonNode.Parse(Assert.Single(restarted.Received).Body)!["run"]!.GetValue<string>());
        Assert.All(scheduler.Triggers.SkipLast(1), t => Assert.Equal((StandInJobResult.Failed, (int?)null), (t.Result, t.HttpStatus)));
        Assert.Null(scheduler.Find(AppId, "poll.r1"));
    }

    [Fact]
    public async Task Trigger_SidecarRestarted_JobDueWhileNoneConnectedGoesToTheNextSidecar()
    {
        var clock = new FakeTimeProvider();
        using var scheduler = new StandInScheduler(clock);
        await using var app = await SubscriberApp.StartAsync("[]");
        var options = new StandInSidecarOptions { AppId = AppId, AppChannel = app.Url, Scheduler = scheduler, TimeProvider = clock };
        var first = await StandInSidecar.StartAsync(options, Sdk.Ct);
        using (var channel = GrpcChannel.ForAddress(first.GrpcEndpoint))
        {
            await new Autogen.Dapr.DaprClient(channel).ScheduleJobAsync(Schedule("poll.r1", "30s"), cancellationToken: Sdk.Ct);
        }

        await first.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(StandInJobState.Staged, scheduler.Find(AppId, "poll.r1")!.State);
        Assert.Empty(app.Received);

        await using var second = await StandInSidecar.StartAsync(options, Sdk.Ct);
        await scheduler.WaitForTriggersAsync(t => t.Count == 1, Wait);

        Assert.Equal(["/job/poll.r1"], app.Received.Select(r => r.Route));
        Assert.Null(scheduler.Find(AppId, "poll.r1"));
    }

    [Fact]
    public async Task Trigger_TwoSidecarsOfOneAppId_EachJobDeliveredOnceAndBothServe()
    {
        var clock = new FakeTimeProvider();
        using var scheduler = new StandInScheduler(clock);
        await using var app1 = await SubscriberApp.StartAsync("[]");
        await using var app2 = await SubscriberApp.StartAsync("[]");
        await using var sidecar1 = await StandInSidecar.StartAsync(new StandInSidecarOptions { AppId = AppId, AppChannel = app1.Url, Scheduler = scheduler }, Sdk.Ct);
        await using var sidecar2 = await StandInSidecar.StartAsync(new StandInSidecarOptions { AppId = AppId, AppChannel = app2.Url, Scheduler = scheduler }, Sdk.Ct);
        await scheduler.WaitForSidecarsAsync(AppId, 2, Wait);
        using var channel = GrpcChannel.ForAddress(sidecar1.GrpcEndpoint);
        var client = new Autogen.Dapr.DaprClient(channel);
        var names = Enumerable.Range(1, 10).Select(i => $"poll.r{i}").ToList();
        foreach (var name in names)
        {
            await client.ScheduleJobAsync(Schedule(name, "5s"), cancellationToken: Sdk.Ct);
        }

        clock.Advance(TimeSpan.FromSeconds(5));
        await scheduler.WaitForTriggersAsync(t => t.Count == 10, Wait);

        var routes = app1.Received.Concat(app2.Received).Select(r => r.Route).Order().ToList();
        Assert.Equal(names.Select(n => "/job/" + n).Order(), routes);
        Assert.NotEmpty(app1.Received);
        Assert.NotEmpty(app2.Received);
        Assert.Empty(scheduler.Jobs);
    }

    private static Autogen.ScheduleJobRequest Schedule(string name, string dueTime, Value? data = null)
    {
        var job = new Autogen.Job { Name = name, DueTime = dueTime };
        if (data is not null) job.Data = Any.Pack(data);
        return new Autogen.ScheduleJobRequest { Job = job };
    }

    private static Value Struct(params (string Key, string Value)[] fields)
    {
        var value = new Struct();
        foreach (var (key, text) in fields) value.Fields[key] = Value.ForString(text);
        return Value.ForStruct(value);
    }

    private static Autogen.JobFailurePolicy Constant(TimeSpan interval, uint? maxRetries)
    {
        var constant = new Autogen.JobFailurePolicyConstant { Interval = Duration.FromTimeSpan(interval) };
        if (maxRetries is { } max) constant.MaxRetries = max;
        return new Autogen.JobFailurePolicy { Constant = constant };
    }

    /// <summary>A fake clock, a scheduler on it, a receiving app, its sidecar (connected) and a client of that sidecar.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly GrpcChannel _channel;

        private Rig(FakeTimeProvider clock, StandInScheduler scheduler, SubscriberApp app, StandInSidecar sidecar)
        {
            Clock = clock;
            Scheduler = scheduler;
            App = app;
            Sidecar = sidecar;
            _channel = GrpcChannel.ForAddress(sidecar.GrpcEndpoint);
            Client = new Autogen.Dapr.DaprClient(_channel);
        }

        public FakeTimeProvider Clock { get; }
        public StandInScheduler Scheduler { get; }
        public SubscriberApp App { get; }
        public StandInSidecar Sidecar { get; }
        public Autogen.Dapr.DaprClient Client { get; }

        public static async Task<Rig> StartAsync()
        {
            var clock = new FakeTimeProvider();
            var scheduler = new StandInScheduler(clock);
            var app = await SubscriberApp.StartAsync("[]");
            var sidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions
            {
                AppId = AppId, AppChannel = app.Url, AppApiToken = "app-token", Scheduler = scheduler, TimeProvider = clock,
            }, Sdk.Ct);
            await scheduler.WaitForSidecarsAsync(AppId, 1, Wait);
            return new Rig(clock, scheduler, app, sidecar);
        }

        public async ValueTask DisposeAsync()
        {
            _channel.Dispose();
            await Sidecar.DisposeAsync();
            await App.DisposeAsync();
            Scheduler.Dispose();
        }
    }
}
