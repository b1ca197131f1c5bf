using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModeRefresh.Contracts;

/// <summary>
/// Source-generated JSON for the contracts (camelCase, as on the wire), so neither service pays for
/// reflection-based serialization on the hot path.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DbtRunEvent))]
[JsonSerializable(typeof(ModeReportRunAccepted))]
[JsonSerializable(typeof(ModeReportRunFinished))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
