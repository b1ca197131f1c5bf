using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.Mode;

/// <summary>The parts of Mode's Report Run (202 body) this service uses.</summary>
public sealed record ModeReportRun
{
    public string? Token { get; init; }
    public string? State { get; init; }

    [JsonPropertyName("created_at")]
    public string? CreatedAt { get; init; }

    [JsonPropertyName("completed_at")]
    public string? CompletedAt { get; init; }

    [JsonPropertyName("_links")]
    public Dictionary<string, ModeLink>? Links { get; init; }
}

public sealed record ModeLink
{
    public string? Href { get; init; }
}

/// <summary>Mode's error body: <c>{"id": "not_found", "message": "..."}</c>.</summary>
public sealed record ModeError
{
    public string? Id { get; init; }
    public string? Message { get; init; }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(ModeReportRun))]
[JsonSerializable(typeof(ModeError))]
internal sealed partial class ModeJsonContext : JsonSerializerContext;
