using System.Globalization;
using System.Text.Unicode;
using System.Text.Json;
using ModeRefresh.Contracts;

namespace ModeRefresh.Ingress.Webhooks;

/// <summary>
/// Turns a verified dbt Cloud webhook body into the contract record. IDs may arrive as strings or
/// numbers and become strings; unknown fields are ignored; a wrongly typed known field is an error.
/// IDs and the event type are normalised one way: white space around them is trimmed, and one holding a control
/// character or a line separator is refused (400): they go into log lines, where a "\n" would forge a second line,
/// and into keys downstream, where " 42" and "42" must be the same run.
/// </summary>
public static class DbtPayloadParser
{
    public static bool TryParse(ReadOnlyMemory<byte> body, out DbtRunEvent? evt, out string? error)
    {
        evt = null;
        // JsonDocument checks the structure but not the bytes inside strings: check them all first.
        if (!Utf8.IsValid(body.Span)) return Fail("body is not valid UTF-8", out error);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail("body must be a JSON object", out error);
            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                return Fail("missing or invalid field: data (an object)", out error);

            evt = new DbtRunEvent
            {
                EventId = Required(root, "eventId"),
                EventType = Required(root, "eventType"),
                // Older dbt docs spell it webhooksID.
                WebhookId = Normalised("webhookId", Text(root, "webhookId")) ?? Normalised("webhooksID", Text(root, "webhooksID")),
                WebhookName = Text(root, "webhookName"),
                AccountId = Id(root, "accountId"),
                Timestamp = Text(root, "timestamp"),
                Data = new DbtRunData
                {
                    JobId = Id(data, "jobId"),
                    JobName = Text(data, "jobName"),
                    RunId = Id(data, "runId"),
                    EnvironmentId = Id(data, "environmentId"),
                    EnvironmentName = Text(data, "environmentName"),
                    ProjectId = Id(data, "projectId"),
                    ProjectName = Text(data, "projectName"),
                    DbtVersion = Text(data, "dbtVersion"),
                    RunStatus = Text(data, "runStatus"),
                    RunStatusCode = StatusCode(data, "runStatusCode"),
                    RunStatusMessage = Text(data, "runStatusMessage"),
                    RunReason = Text(data, "runReason"),
                    RunStartedAt = Text(data, "runStartedAt"),
                    RunFinishedAt = Text(data, "runFinishedAt"),
                    RunErroredAt = Text(data, "runErroredAt"),
                },
            };
            error = null;
            return true;
        }
        catch (JsonException)
        {
            // Covers truncation, bad tokens and nesting past the reader's depth limit.
            return Fail("malformed JSON", out error);
        }
        catch (InvalidOperationException)
        {
            // GetString throws this, not JsonException, for an escape that is not valid UTF-16 (a lone "\ud800").
            return Fail("malformed JSON: a string is not valid UTF-16", out error);
        }
        catch (PayloadException ex)
        {
            return Fail(ex.Message, out error);
        }
    }

    private static bool Fail(string reason, out string? error)
    {
        error = reason;
        return false;
    }

    private static string Required(JsonElement obj, string name) =>
        Normalised(name, Text(obj, name)) ?? throw new PayloadException($"missing or empty field: {name}");

    private static string? Text(JsonElement obj, string name) =>
        !obj.TryGetProperty(name, out var p) ? null : p.ValueKind switch
        {
            JsonValueKind.String => p.GetString(),
            JsonValueKind.Null => null,
            _ => throw new PayloadException($"field {name} must be a string"),
        };

    private static string? Id(JsonElement obj, string name) =>
        !obj.TryGetProperty(name, out var p) ? null : p.ValueKind switch
        {
            JsonValueKind.String => Normalised(name, p.GetString()),
            // Keep the digits exactly as sent: no float round-trip for large ids.
            JsonValueKind.Number when p.TryGetInt64(out _) => p.GetRawText(),
            JsonValueKind.Null => null,
            _ => throw new PayloadException($"field {name} must be a string or an integer"),
        };

    // Trimmed; null when nothing is left; refused when a control character or line separator remains inside.
    private static string? Normalised(string name, string? value)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed)) return null;
        foreach (var c in trimmed)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
                throw new PayloadException($"field {name} must not contain control characters or line breaks");
        }

        return trimmed;
    }

    private static int? StatusCode(JsonElement obj, string name) =>
        !obj.TryGetProperty(name, out var p) ? null : p.ValueKind switch
        {
            JsonValueKind.Number when p.TryGetInt32(out var n) => n,
            JsonValueKind.String when int.TryParse(p.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            JsonValueKind.Null => null,
            _ => throw new PayloadException($"field {name} must be an integer"),
        };

    private sealed class PayloadException(string message) : Exception(message);
}
