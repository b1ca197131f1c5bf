using Dapr;

namespace ModeRefresh.Refresh.Delivery;

/// <summary>
/// UseCloudEvents replaces the body with the envelope's <c>data</c>; asked to, it forwards envelope fields as
/// <c>Cloudevent.{name}</c> request headers. Only the id is needed.
/// </summary>
public static class CloudEventId
{
    // The Dapr SDK's middleware names a forwarded attribute "Cloudevent.{name}".
    private const string Header = "Cloudevent." + ModeRefresh.Contracts.CloudEventMetadata.IdAttribute;

    public static CloudEventsMiddlewareOptions MiddlewareOptions => new()
    {
        ForwardCloudEventPropertiesAsHeaders = true,
        IncludedCloudEventPropertiesAsHeaders = [ModeRefresh.Contracts.CloudEventMetadata.IdAttribute],
    };

    public static string? Of(HttpRequest request) =>
        request.Headers.TryGetValue(Header, out var id) && !string.IsNullOrWhiteSpace(id) ? id.ToString() : null;
}
