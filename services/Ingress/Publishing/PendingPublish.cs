using Dapr.Client.Autogen.Grpc.v1;

namespace ModeRefresh.Ingress.Publishing;

/// <summary>The result of one publish: accepted by the sidecar, or the reason it was not (never a secret).</summary>
public readonly record struct PublishOutcome(string? Failure)
{
    public static readonly PublishOutcome Accepted = new(null);

    public bool IsAccepted => Failure is null;
}

/// <summary>
/// One event waiting for a bulk publish. Either a sender takes it (it is then sent, whatever happens to its caller)
/// or its caller abandons it first (timed out, client gone), and then it is never sent: nothing unanswered goes out
/// late from the queue, which keeps duplicates to what at-least-once delivery already implies.
/// </summary>
internal sealed class PendingPublish(string topic, BulkPublishRequestEntry entry, int size)
{
    private const int Queued = 0, Taken = 1, Abandoned = 2;
    private readonly TaskCompletionSource<PublishOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public string Topic { get; } = topic;
    public BulkPublishRequestEntry Entry { get; } = entry;
    public int Size { get; } = size;
    public Task<PublishOutcome> Outcome => _outcome.Task;

    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;
    public void Abandon() => Interlocked.CompareExchange(ref _state, Abandoned, Queued);
    public void Accept() => _outcome.TrySetResult(PublishOutcome.Accepted);
    public void Fail(string reason) => _outcome.TrySetResult(new PublishOutcome(reason));
}
