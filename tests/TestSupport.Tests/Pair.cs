using Dapr.Client;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>Two stand-ins on one broker: the publisher's (SDK client attached) and the subscriber app's.</summary>
internal sealed class Pair : IAsyncDisposable
{
    private Pair(StandInBroker broker, StandInSidecar publisher, StandInSidecar subscriber)
    {
        Broker = broker;
        Publisher = publisher;
        Subscriber = subscriber;
        Dapr = Sdk.ClientFor(publisher);
    }

    public StandInBroker Broker { get; }
    public StandInSidecar Publisher { get; }
    public StandInSidecar Subscriber { get; }
    public DaprClient Dapr { get; }

    public static Task<Pair> StartAsync(SubscriberApp app, StandInDeliveryOptions delivery) => StartAsync(app.Url, delivery);

    public static async Task<Pair> StartAsync(Uri appChannel, StandInDeliveryOptions delivery)
    {
        var broker = new StandInBroker();
        var publisher = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker, AppId = "publisher" }, Sdk.Ct);
        var subscriber = await StandInSidecar.StartAsync(new StandInSidecarOptions
        {
            Broker = broker, AppChannel = appChannel, AppApiToken = "app-token", AppId = "subscriber", Delivery = delivery,
        }, Sdk.Ct);
        return new Pair(broker, publisher, subscriber);
    }

    public async ValueTask DisposeAsync()
    {
        Dapr.Dispose();
        await Subscriber.DisposeAsync();
        await Publisher.DisposeAsync();
    }
}
