using ModeRefresh.Resources.Tests.Infrastructure;
using ModeRefresh.Resources.Tests.Validation;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// The resiliency numbers: a 30-minute Mode outage must lose nothing. Refresh answers RETRY while Mode is down,
/// so the inbound retry policy of the `pubsub` component must keep redelivering for more than 30 minutes
/// before the event is dead-lettered; the worst-case minimum span is computed from the policy as daprd builds it.
/// </summary>
public sealed class ResiliencyTests
{
    private static readonly TimeSpan ModeOutage = TimeSpan.FromMinutes(30);

    public static TheoryData<string> ResiliencyFiles() => new("components/resiliency.yaml", "deploy/kubernetes/resiliency.yaml");

    [Theory]
    [MemberData(nameof(ResiliencyFiles))]
    public void PubSubInboundRetry_WorstCaseMinimumSpan_ExceedsModeOutage(string file)
    {
        var policy = InboundPubSubRetry(file);

        var span = RetryMath.WorstCaseMinimumSpan(policy);

        Assert.True(span > ModeOutage,
            $"{file}: the pubsub inbound retry gives up after at least {span.TotalMinutes:0.#} min, which does not bridge a {ModeOutage.TotalMinutes} min Mode outage");
        Assert.True(span != TimeSpan.MaxValue, $"{file}: the pubsub inbound retry must be bounded (maxRetries >= 0) so events end in the dead-letter topic");
        TestContext.Current.TestOutputHelper?.WriteLine($"{file}: inbound pubsub retry keeps redelivering for at least {span.TotalMinutes:0.#} min before dead-lettering");
    }

    [Theory]
    [MemberData(nameof(ResiliencyFiles))]
    public void PubSubInbound_CircuitBreaker_Absent(string file)
    {
        // An open breaker is a permanent error in daprd: it ends the retry loop and dead-letters at once.
        var inbound = Resiliency(file)["spec"]?["targets"]?["components"]?["pubsub"]?["inbound"];
        Assert.NotNull(inbound);
        Assert.Null(inbound["circuitBreaker"]);
    }

    [Theory]
    [MemberData(nameof(ResiliencyFiles))]
    public void PubSubOutbound_RetryAndCircuitBreaker_Configured(string file)
    {
        var outbound = Resiliency(file)["spec"]?["targets"]?["components"]?["pubsub"]?["outbound"];
        Assert.NotNull(outbound?["retry"]);
        Assert.NotNull(outbound?["circuitBreaker"]);
    }

    [Theory]
    [MemberData(nameof(ResiliencyFiles))]
    public void StateStoreOutbound_RetryAndCircuitBreaker_AbsentTimeoutKept(string file)
    {
        // On Redis and PostgreSQL a lost first-write race is a plain error, which daprd would retry under a retry
        // policy and count (with every ETag mismatch) in a breaker; Refresh claims runs by first write and dbt's
        // retries race routinely. Refresh retries state calls itself, where a lost race can be told from an outage.
        var outbound = Resiliency(file)["spec"]?["targets"]?["components"]?["statestore"]?["outbound"];
        Assert.NotNull(outbound);
        Assert.True(outbound["retry"] is null, $"{file}: the statestore outbound must not name a retry policy");
        Assert.True(outbound["circuitBreaker"] is null, $"{file}: the statestore outbound must not name a circuit breaker");
        var timeout = outbound["timeout"]?.AsString();
        Assert.True(timeout is not null, $"{file}: the statestore outbound keeps a timeout");
        Assert.True(Resiliency(file)["spec"]?["policies"]?["timeouts"]?[timeout] is not null, $"{file}: timeout {timeout} is not defined");
    }

    [Fact]
    public void KubernetesResiliency_ComparedWithLocal_SameSpec()
    {
        var local = Resiliency("components/resiliency.yaml");
        var kubernetes = Resiliency("deploy/kubernetes/resiliency.yaml");
        Assert.Equal(Canonical(local), Canonical(kubernetes));
    }

    [Fact]
    public void ConstantPolicy_60sTimes40_Is40Minutes() =>
        Assert.Equal(TimeSpan.FromMinutes(40), RetryMath.WorstCaseMinimumSpan("constant", TimeSpan.FromSeconds(60), TimeSpan.Zero, 40));

    [Fact]
    public void ExponentialPolicy_AnyMaxRetries_CappedAt15Minutes()
    {
        // Why the inbound policy is constant: with maxInterval 5m and 100 retries the arithmetic alone would
        // give hours, but daprd's exponential back-off stops after 15 minutes of elapsed time.
        var span = RetryMath.WorstCaseMinimumSpan("exponential", TimeSpan.Zero, TimeSpan.FromMinutes(5), 100);
        Assert.Equal(RetryMath.ExponentialMaxElapsedTime, span);
        Assert.True(span < ModeOutage);
    }

    [Fact]
    public void ExponentialPolicy_FewRetries_SumsLowerBoundsOfRandomizedIntervals()
    {
        // 0.5 x (500ms, 750ms, 1125ms) = 1187.5ms
        var span = RetryMath.WorstCaseMinimumSpan("exponential", TimeSpan.Zero, TimeSpan.FromSeconds(60), 3);
        Assert.Equal(TimeSpan.FromMilliseconds(1187.5), span);
    }

    [Theory]
    [InlineData("60s", 60_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("0", 0)]
    public void GoDuration_ValidText_Parses(string text, double milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(milliseconds, duration.TotalMilliseconds);
    }

    [Theory]
    [InlineData("60")]
    [InlineData("1 m")]
    [InlineData("5sec")]
    [InlineData("")]
    public void GoDuration_InvalidText_Rejected(string text) => Assert.False(GoDuration.TryParse(text, out _));

    private static YMap Resiliency(string file) => Yaml.LoadSingleMap(RepoPaths.Combine(file));

    private static YMap InboundPubSubRetry(string file)
    {
        var root = Resiliency(file);
        var retryName = root["spec"]?["targets"]?["components"]?["pubsub"]?["inbound"]?["retry"]?.AsString();
        Assert.True(retryName is not null, $"{file}: spec.targets.components.pubsub.inbound.retry is missing");
        var policy = root["spec"]?["policies"]?["retries"]?[retryName];
        return Assert.IsType<YMap>(policy);
    }

    private static string Canonical(YNode? node) => node switch
    {
        YMap map => "{" + string.Join(",", map.Entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}:{Canonical(e.Value)}")) + "}",
        YSeq seq => "[" + string.Join(",", seq.Items.Select(Canonical)) + "]",
        YScalar scalar => scalar.Value,
        _ => "null",
    };
}
