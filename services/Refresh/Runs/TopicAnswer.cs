using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.Runs;

/// <summary>
/// Dapr's pub/sub answer, always sent with HTTP 200: SUCCESS = done, RETRY = redeliver later,
/// DROP = give up (daprd forwards the event to the dead-letter topic).
/// </summary>
public sealed record TopicAnswer(string Status)
{
    public static readonly TopicAnswer Success = new("SUCCESS");
    public static readonly TopicAnswer Retry = new("RETRY");
    public static readonly TopicAnswer Drop = new("DROP");
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TopicAnswer))]
internal sealed partial class SubscriptionJsonContext : JsonSerializerContext;
