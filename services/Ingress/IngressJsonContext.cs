using System.Text.Json.Serialization;
using ModeRefresh.Ingress.Webhooks;

namespace ModeRefresh.Ingress;

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookAccepted))]
internal sealed partial class IngressJsonContext : JsonSerializerContext;
