using System.Threading.Channels;
using Dapr.Client.Autogen.Grpc.v1;
using Grpc.Core;
using ModeRefresh.Ingress.Sidecar;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Ingress.Publishing;

/// <summary>
/// Takes queued events in batches and bulk-publishes them, one topic per call. Falls back once, for good, from
/// <c>BulkPublishEvent</c> to <c>BulkPublishEventAlpha1</c> to one <c>PublishEvent</c> per event when the sidecar
/// answers Unimplemented, so an older daprd works too.
/// </summary>
internal sealed class PublishBatchSender(
    SidecarPublishApi api, IngressOptions options, DaprOptions components, SidecarReachability reachability, TimeProvider time, ILogger logger,
    IngressMetrics? metrics)
{
    // daprd refuses requests over 4 MiB by default (--max-body-size); a batch stops growing at a quarter of that.
    private const int MaxBatchBytes = 1024 * 1024;
    private const int StableBulk = 0, AlphaBulk = 1, OneByOne = 2;
    private static readonly string[] ApiNames = ["BulkPublishEvent", "BulkPublishEventAlpha1", "PublishEvent"];
    private int _api = StableBulk;
    private readonly Uri _address = api.Address;

    public async Task RunAsync(ChannelReader<PendingPublish> queue)
    {
        var batch = new List<PendingPublish>(options.PublishBatchSize);
        while (await queue.WaitToReadAsync())
        {
            batch.Clear();
            var bytes = 0;
            while (batch.Count < options.PublishBatchSize && bytes < MaxBatchBytes && queue.TryRead(out var next))
            {
                if (!next.TryTake()) continue;
                batch.Add(next);
                bytes += next.Size;
            }

            if (batch.Count == 0) continue;
            if (batch.TrueForAll(p => p.Topic == batch[0].Topic))
            {
                await SendAsync(batch[0].Topic, batch);
            }
            else
            {
                await Task.WhenAll(batch.GroupBy(p => p.Topic).Select(g => SendAsync(g.Key, g.ToList())));
            }
        }
    }

    // One bound for the call and any fallback after it: Ingress:PublishTimeout, Ingress's own (at most 7 s, where
    // Dapr:CallTimeout may be minutes: dbt waits 10 s for the whole webhook). A deadline that fires ends the call
    // inside, where it is answered "timed out".
    private Task SendAsync(string topic, List<PendingPublish> batch) =>
        SidecarCall.WithDeadline(options.PublishTimeout, time, deadline => SendWithinAsync(topic, batch, deadline), CancellationToken.None);

    private async Task SendWithinAsync(string topic, List<PendingPublish> batch, CancellationToken deadline)
    {
        while (true)
        {
            var api = Volatile.Read(ref _api);
            var started = time.GetTimestamp();
            try
            {
                if (api == OneByOne) await SendOneByOneAsync(topic, batch, deadline);
                else await SendBulkAsync(topic, batch, api == AlphaBulk, deadline);
                metrics?.Publish(ApiNames[api], batch.Count, time.GetElapsedTime(started), accepted: true);
                reachability.Reached(_address);
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented && api != OneByOne)
            {
                if (Interlocked.CompareExchange(ref _api, api + 1, api) == api)
                    IngressLog.PublishApiFallback(logger, ApiNames[api], ApiNames[api + 1]);
            }
            catch (Exception ex)
            {
                metrics?.Publish(ApiNames[api], batch.Count, time.GetElapsedTime(started), accepted: false);
                // Also how a newer daprd reports a broker that refused some entries: the whole call fails and the
                // entries it did publish stay published. Their webhooks get 503 too and dbt resends them; a duplicate
                // is harmless (Refresh is idempotent per dbt run), a 202 for an event that was not published is not.
                var unreachable = SidecarFailure.Unreachable(ex);
                if (unreachable is not null) reachability.Unreachable(_address, "DAPR_GRPC_ENDPOINT", unreachable);
                else if (ex is RpcException) reachability.Reached(_address);
                var reason = ex switch
                {
                    _ when unreachable is not null => "sidecar not reachable: " + unreachable,
                    OperationCanceledException => "timed out",
                    RpcException rpc => "sidecar answered " + rpc.StatusCode,
                    _ => ex.GetType().Name,
                };
                foreach (var pending in batch) pending.Fail(reason);
                return;
            }
        }
    }

    private async Task SendBulkAsync(string topic, List<PendingPublish> batch, bool alpha1, CancellationToken ct)
    {
        var request = new BulkPublishRequest { PubsubName = components.PubsubName, Topic = topic };
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Entry.EntryId = EntryId(i);
            request.Entries.Add(batch[i].Entry);
        }

        var response = await api.BulkPublishAsync(request, alpha1, ct);
        Dictionary<string, string>? failed = null;
        foreach (var entry in response.FailedEntries) (failed ??= new(StringComparer.Ordinal))[entry.EntryId] = entry.Error;
        for (var i = 0; i < batch.Count; i++)
        {
            if (failed is not null && failed.TryGetValue(EntryId(i), out var error)) batch[i].Fail(Shorten("sidecar refused the event: " + error));
            else batch[i].Accept();
        }
    }

    private async Task SendOneByOneAsync(string topic, List<PendingPublish> batch, CancellationToken ct) =>
        await Task.WhenAll(batch.Select(async pending =>
        {
            var request = new PublishEventRequest
            {
                PubsubName = components.PubsubName, Topic = topic, Data = pending.Entry.Event, DataContentType = pending.Entry.ContentType,
            };
            request.Metadata.Add(pending.Entry.Metadata);
            try
            {
                await api.PublishAsync(request, ct);
                pending.Accept();
            }
            catch (RpcException ex)
            {
                pending.Fail("sidecar answered " + ex.StatusCode);
            }
        }));

    private static readonly string[] EntryIds = Enumerable.Range(0, 256).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static string EntryId(int i) => i < EntryIds.Length ? EntryIds[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // A broker's error text can be long; the log line and the 503 need only its start.
    private static string Shorten(string reason) => reason.Length <= 200 ? reason : reason[..200] + "…";
}
