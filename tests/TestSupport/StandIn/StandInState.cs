using System.Globalization;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Grpc.Core;
using static Dapr.Client.Autogen.Grpc.v1.StateOptions.Types;

namespace ModeRefresh.TestSupport;

/// <summary>
/// In-memory state stores with daprd's etag rules. Any store name is accepted (there is no component list).
/// Etags come from one counter for the whole sidecar, so a key deleted and written again never gets an old etag back.
/// </summary>
internal sealed class StandInState(TimeProvider clock)
{
    private const string TtlKey = "ttlInSeconds";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Entry>> _stores = new(StringComparer.Ordinal);
    private long _lastEtag;

    public IReadOnlyDictionary<string, StoredState> Snapshot(string store)
    {
        lock (_gate)
        {
            return Live(store).ToDictionary(kv => kv.Key, kv => kv.Value.State, StringComparer.Ordinal);
        }
    }

    public void Set(string store, string key, byte[] value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            Live(store)[key] = NewEntry([.. value], new Dictionary<string, string>());
        }
    }

    public GetStateResponse Get(GetStateRequest request)
    {
        lock (_gate)
        {
            // daprd answers a missing key with OK and empty data, not NotFound.
            if (!Live(request.StoreName).TryGetValue(request.Key, out var entry))
            {
                return new GetStateResponse();
            }

            var response = new GetStateResponse { Data = ByteString.CopyFrom(entry.State.Value), Etag = entry.State.ETag };
            if (entry.ExpiresAt is { } expires)
            {
                response.Metadata.Add("ttlExpireTime", expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            }

            return response;
        }
    }

    public GetBulkStateResponse GetBulk(GetBulkStateRequest request)
    {
        var response = new GetBulkStateResponse();
        foreach (var key in request.Keys)
        {
            var one = Get(new GetStateRequest { StoreName = request.StoreName, Key = key });
            response.Items.Add(new BulkStateItem { Key = key, Data = one.Data, Etag = one.Etag, Metadata = { one.Metadata } });
        }

        return response;
    }

    public void Save(SaveStateRequest request) =>
        Commit(request.StoreName, [.. request.States.Select(s => (true, s))],
            key => new RpcException(new Status(StatusCode.Aborted,
                $"failed saving state in state store {request.StoreName}: possible etag mismatch. error from state store: key {key}")));

    public void Delete(DeleteStateRequest request) =>
        Commit(request.StoreName, [(false, new StateItem { Key = request.Key, Etag = request.Etag, Options = request.Options })],
            key => new RpcException(new Status(StatusCode.Aborted,
                $"failed deleting state with key {key}: possible etag mismatch. error from state store: key {key}")));

    /// <summary>daprd reports any failed transaction, etag conflicts included, as Internal.</summary>
    public void Transact(ExecuteStateTransactionRequest request)
    {
        var operations = request.Operations.Select(o => o.OperationType switch
        {
            "upsert" => (true, o.Request),
            "delete" => (false, o.Request),
            _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"operation type {o.OperationType} not supported")),
        }).ToList();
        Commit(request.StoreName, operations,
            key => new RpcException(new Status(StatusCode.Internal,
                $"error while executing state transaction: possible etag mismatch for key {key}")));
    }

    /// <summary>Applies the operations in order to a copy, and swaps the copy in only if every one passed.</summary>
    private void Commit(string store, IReadOnlyList<(bool Upsert, StateItem Item)> operations, Func<string, RpcException> conflict)
    {
        lock (_gate)
        {
            var draft = new Dictionary<string, Entry>(Live(store), StringComparer.Ordinal);
            foreach (var (upsert, item) in operations)
            {
                if (string.IsNullOrEmpty(item.Key))
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "state key cannot be empty"));
                }

                draft.TryGetValue(item.Key, out var current);
                var etag = item.Etag?.Value;
                var etagMismatch = !string.IsNullOrEmpty(etag) && current?.State.ETag != etag;
                // First-write without an etag means "only if nobody has written this key yet".
                var firstWriteLost = upsert && string.IsNullOrEmpty(etag) && current is not null
                    && item.Options?.Concurrency == StateConcurrency.ConcurrencyFirstWrite;
                if (etagMismatch || firstWriteLost)
                {
                    throw conflict(item.Key);
                }

                if (upsert)
                {
                    draft[item.Key] = NewEntry(item.Value.ToByteArray(), item.Metadata);
                }
                else
                {
                    draft.Remove(item.Key);
                }
            }

            _stores[store] = draft;
        }
    }

    /// <summary>The store's entries (created empty on first use), with expired ones already dropped.</summary>
    private Dictionary<string, Entry> Live(string store)
    {
        if (!_stores.TryGetValue(store, out var entries))
        {
            _stores[store] = entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        }

        var now = clock.GetUtcNow();
        foreach (var key in entries.Where(kv => kv.Value.ExpiresAt <= now).Select(kv => kv.Key).ToList())
        {
            entries.Remove(key);
        }

        return entries;
    }

    private Entry NewEntry(byte[] value, IDictionary<string, string> metadata)
    {
        var copy = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        DateTimeOffset? expires = copy.TryGetValue(TtlKey, out var ttl)
            && int.TryParse(ttl, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                ? clock.GetUtcNow().AddSeconds(seconds)
                : null;
        var etag = (++_lastEtag).ToString(CultureInfo.InvariantCulture);
        return new Entry(new StoredState(value, etag, copy), expires);
    }

    private sealed record Entry(StoredState State, DateTimeOffset? ExpiresAt);
}
