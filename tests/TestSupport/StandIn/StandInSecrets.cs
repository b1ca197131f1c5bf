using Dapr.Client.Autogen.Grpc.v1;
using Grpc.Core;

namespace ModeRefresh.TestSupport;

/// <summary>
/// Secret stores as daprd presents a local.file store: store name -> secret name -> key/value map.
/// A store exists once the test has put a secret in it (or declared it), and stays after its secrets are removed.
/// </summary>
internal sealed class StandInSecrets
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Dictionary<string, string>>> _stores = new(StringComparer.Ordinal);

    public void DeclareStore(string store)
    {
        ArgumentException.ThrowIfNullOrEmpty(store);
        lock (_gate)
        {
            _ = StoreFor(store);
        }
    }

    public void Set(string store, string name, IReadOnlyDictionary<string, string> values)
    {
        ArgumentException.ThrowIfNullOrEmpty(store);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(values);
        lock (_gate)
        {
            StoreFor(store)[name] = new Dictionary<string, string>(values, StringComparer.Ordinal);
        }
    }

    public void Remove(string store, string name)
    {
        lock (_gate)
        {
            if (_stores.TryGetValue(store, out var secrets))
            {
                secrets.Remove(name);
            }
        }
    }

    public GetSecretResponse Get(string store, string name)
    {
        lock (_gate)
        {
            var secrets = Existing(store);
            if (!secrets.TryGetValue(name, out var values))
            {
                // daprd wraps the component's error as Internal; local.file says "secret X not found".
                throw new RpcException(new Status(StatusCode.Internal,
                    $"failed getting secret with key {name} from secret store {store}: secret {name} not found"));
            }

            return new GetSecretResponse { Data = { values } };
        }
    }

    public GetBulkSecretResponse GetBulk(string store)
    {
        lock (_gate)
        {
            var response = new GetBulkSecretResponse();
            foreach (var (name, values) in Existing(store))
            {
                response.Data.Add(name, new SecretResponse { Secrets = { values } });
            }

            return response;
        }
    }

    private Dictionary<string, Dictionary<string, string>> Existing(string store) =>
        _stores.TryGetValue(store, out var secrets)
            ? secrets
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"failed finding secret store with key {store}"));

    private Dictionary<string, Dictionary<string, string>> StoreFor(string store)
    {
        if (!_stores.TryGetValue(store, out var secrets))
        {
            _stores[store] = secrets = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        }

        return secrets;
    }
}
