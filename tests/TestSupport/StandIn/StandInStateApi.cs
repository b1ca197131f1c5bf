using System.Globalization;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Grpc.Core;
using static Dapr.Client.Autogen.Grpc.v1.StateOptions.Types;

namespace ModeRefresh.TestSupport;

/// <summary>
/// daprd's state API over a <see cref="StandInStateStore"/> (dapr/dapr v1.18.0 pkg/api/grpc/grpc.go SaveState,
/// DeleteState, GetState, ExecuteStateTransaction): the component's outbound resiliency policy around each store call,
/// then the store's error mapped to daprd's gRPC status. getStateErrorCode: an ETag mismatch is Aborted, an invalid
/// ETag InvalidArgument, any other error Internal. What daprd retries (pkg/components/state/bulk.go
/// PerformBulkStoreOperation for saves; the plain policy runner for the others): a save's ETag error never — it is
/// wrapped as a permanent back-off error — but any other save error, and any delete, get or transaction error, ETag
/// mismatches of deletes and transactions included. Every failed attempt counts in the breaker.
/// </summary>
internal sealed class StandInStateApi(StandInStateStore store, StandInStateResiliency? policy, TimeProvider clock, string appId)
{
    private readonly Dictionary<string, StandInBreaker> _breakers = new(StringComparer.Ordinal);

    public StandInStateStore Store { get; } = store;

    /// <summary>The breaker for a store name (daprd keeps one per component), or null without one.</summary>
    public StandInBreaker? BreakerFor(string storeName)
    {
        if (policy?.CircuitBreaker is not { } settings)
        {
            return null;
        }

        lock (_breakers)
        {
            if (!_breakers.TryGetValue(storeName, out var breaker))
            {
                _breakers[storeName] = breaker = new StandInBreaker(settings, clock);
            }

            return breaker;
        }
    }

    public async Task<GetStateResponse> GetAsync(GetStateRequest request, CancellationToken ct)
    {
        (StoredState State, DateTimeOffset? ExpiresAt)? found = null;
        var error = await RunAsync("GetState", request.StoreName, [request.Key],
            () => found = Store.Get(request.StoreName, request.Key), ct);
        if (error is not null)
        {
            throw new RpcException(new Status(StatusCode.Internal,
                $"fail to get {request.Key} from state store {request.StoreName}: {error.Message}"));
        }

        // daprd answers a missing key with OK and empty data, not NotFound.
        if (found is not { } entry)
        {
            return new GetStateResponse();
        }

        var response = new GetStateResponse { Data = ByteString.CopyFrom(entry.State.Value), Etag = entry.State.ETag };
        // Only PostgreSQL reports the expiry (ttlExpireTime, RFC 3339); Redis's HGETALL does not.
        if (entry.ExpiresAt is { } expires && Store.Flavour == StandInStateFlavour.PostgreSql)
        {
            response.Metadata.Add("ttlExpireTime", expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        }

        return response;
    }

    public async Task<GetBulkStateResponse> GetBulkAsync(GetBulkStateRequest request, CancellationToken ct)
    {
        var response = new GetBulkStateResponse();
        foreach (var key in request.Keys)
        {
            var one = await GetAsync(new GetStateRequest { StoreName = request.StoreName, Key = key }, ct);
            response.Items.Add(new BulkStateItem { Key = key, Data = one.Data, Etag = one.Etag, Metadata = { one.Metadata } });
        }

        return response;
    }

    public async Task SaveAsync(SaveStateRequest request, CancellationToken ct)
    {
        if (request.States.Any(s => string.IsNullOrEmpty(s.Key)))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "state key cannot be empty"));
        }

        // A save of several items retries only the items that failed with something other than an ETag error.
        var pending = request.States.Select(ToWrite).ToList();
        StandInStoreException? last = null;
        for (var attempt = 1; ; attempt++)
        {
            var failed = new List<(StandInWrite Write, StandInStoreException Error)>();
            var error = Attempt("SaveState", request.StoreName, [.. pending.Select(p => p.Key)], attempt, () =>
            {
                foreach (var write in pending)
                {
                    try
                    {
                        Store.Set(request.StoreName, write);
                    }
                    catch (StandInStoreException ex)
                    {
                        failed.Add((write, ex));
                    }
                }

                return failed.Count == 0 ? null : failed[0].Error;
            });
            if (error is null)
            {
                return;
            }

            last = error;
            // An open breaker (no item was tried) and ETag errors are permanent; the other failed items are retried.
            var retriable = failed.Where(f => f.Error.Kind == StandInStoreErrorKind.Other).Select(f => f.Write).ToList();
            if (retriable.Count == 0 || attempt > (policy?.MaxRetries ?? 0))
            {
                break;
            }

            pending = retriable;
            await PauseAsync(ct);
        }

        throw new RpcException(new Status(CodeFor(last!),
            $"failed saving state in state store {request.StoreName}: {last.Message}"));
    }

    public async Task DeleteAsync(DeleteStateRequest request, CancellationToken ct)
    {
        var error = await RunAsync("DeleteState", request.StoreName, [request.Key],
            () => Store.Delete(request.StoreName, request.Key, request.Etag?.Value), ct);
        if (error is not null)
        {
            throw new RpcException(new Status(CodeFor(error), $"failed deleting state with key {request.Key}: {error.Message}"));
        }
    }

    /// <summary>daprd reports any failed transaction, ETag conflicts included, as Internal.</summary>
    public async Task TransactAsync(ExecuteStateTransactionRequest request, CancellationToken ct)
    {
        var operations = request.Operations.Select(o => o.OperationType switch
        {
            "upsert" => (true, ToWrite(o.Request)),
            "delete" => (false, ToWrite(o.Request)),
            _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"operation type {o.OperationType} not supported")),
        }).ToList();
        var error = await RunAsync("ExecuteStateTransaction", request.StoreName, [.. operations.Select(o => o.Item2.Key)],
            () => Store.Multi(request.StoreName, operations), ct);
        if (error is not null)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"error while executing state transaction: {error.Message}"));
        }
    }

    private async Task<StandInStoreException?> RunAsync(
        string method, string storeName, IReadOnlyList<string> keys, Action call, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var error = Attempt(method, storeName, keys, attempt, () =>
            {
                try
                {
                    call();
                    return null;
                }
                catch (StandInStoreException ex)
                {
                    return ex;
                }
            });
            // An open breaker is a permanent error: it ends the retries (pkg/resiliency/policy.go).
            if (error is null || error.Kind == StandInStoreErrorKind.BreakerOpen || attempt > (policy?.MaxRetries ?? 0))
            {
                return error;
            }

            await PauseAsync(ct);
        }
    }

    /// <summary>One attempt through the breaker; the store's error, or the breaker's refusal, or null.</summary>
    private StandInStoreException? Attempt(string method, string storeName, IReadOnlyList<string> keys, int attempt,
        Func<StandInStoreException?> call)
    {
        var breaker = BreakerFor(storeName);
        long? generation = null;
        if (breaker is not null && (generation = breaker.TryEnter(out var refusal)) is null)
        {
            Store.Record(new StandInStateAttempt(appId, method, storeName, keys, attempt, StandInStateOutcome.BreakerOpen, clock.GetUtcNow()));
            return new StandInStoreException(StandInStoreErrorKind.BreakerOpen, refusal!);
        }

        var error = call();
        if (generation is { } g)
        {
            breaker!.Exit(g, error is null);
        }

        var outcome = error?.Kind switch
        {
            null => StandInStateOutcome.Ok,
            StandInStoreErrorKind.ETagMismatch => StandInStateOutcome.ETagMismatch,
            StandInStoreErrorKind.ETagInvalid => StandInStateOutcome.ETagInvalid,
            _ => StandInStateOutcome.Failed,
        };
        Store.Record(new StandInStateAttempt(appId, method, storeName, keys, attempt, outcome, clock.GetUtcNow()));
        return error;
    }

    private Task PauseAsync(CancellationToken ct) =>
        policy is { RetryInterval: var pause } && pause > TimeSpan.Zero ? Task.Delay(pause, ct) : Task.CompletedTask;

    private static StatusCode CodeFor(StandInStoreException error) => error.Kind switch
    {
        StandInStoreErrorKind.ETagMismatch => StatusCode.Aborted,
        StandInStoreErrorKind.ETagInvalid => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };

    private static StandInWrite ToWrite(StateItem item) => new(
        item.Key,
        item.Value.ToByteArray(),
        item.Etag?.Value,
        item.Options?.Concurrency switch
        {
            StateConcurrency.ConcurrencyFirstWrite => StandInConcurrency.FirstWrite,
            StateConcurrency.ConcurrencyLastWrite => StandInConcurrency.LastWrite,
            _ => StandInConcurrency.Unspecified,
        },
        new Dictionary<string, string>(item.Metadata, StringComparer.Ordinal));
}
