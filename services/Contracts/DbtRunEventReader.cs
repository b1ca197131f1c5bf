using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace ModeRefresh.Contracts;

/// <summary>
/// The one reader of a dbt Cloud job-run event, used by Ingress on the verified webhook body and by Refresh on the
/// CloudEvent <c>data</c> (each service keeps its own envelope: the HTTP request, the CloudEvent). dbt's own payload
/// and what Ingress publishes (<see cref="DbtRunEvent"/> serialised by <see cref="ContractsJsonContext"/>) both read.
/// <list type="bullet">
/// <item>IDs (<c>eventId</c> aside, which dbt writes as <c>wev_…</c>) may arrive as strings or integers and become
/// strings; dbt's examples use strings, receivers meet numbers in the wild (<c>../shared/dbt-cloud/README.md</c>).
/// An integer keeps its digits exactly as sent (no float round trip: 9007199254740993 stays so). A fraction, an
/// exponent, <c>true</c> or an object is no dbt id and is refused.</item>
/// <item>Every other known field must be a string (<c>runStatusCode</c>: an integer, or digits in a string); null
/// is the same as absent; unknown fields are ignored; the older docs' <c>webhooksID</c> spelling is read too.</item>
/// <item>IDs and the event type are normalised one way: white space around them is trimmed (<c>" 42"</c> and
/// <c>"42"</c> must be one run in the keys downstream), one left empty is absent, and one holding a control
/// character or a line separator (U+2028, U+2029) is refused: they go into log lines, where a "\n" would forge a
/// second line.</item>
/// <item>Bytes that are not UTF-8 anywhere, even in a field no one reads, are refused before parsing: the JSON reader
/// checks them only in the strings it is asked for.</item>
/// </list>
/// Error texts name the field and never a value. Uses <see cref="JsonDocument"/> only: no reflection, AOT/trim safe.
/// Memory is bounded by the input (the document over it) and nesting by the reader's depth limit (64).
/// </summary>
public static class DbtRunEventReader
{
    /// <summary>
    /// Reads <paramref name="json"/>. <paramref name="subject"/> names it in the errors about the whole input
    /// ("body is not valid UTF-8", "data must be a JSON object"): Ingress passes <c>body</c>, Refresh <c>data</c>.
    /// </summary>
    public static bool TryRead(
        ReadOnlyMemory<byte> json, string subject,
        [NotNullWhen(true)] out DbtRunEvent? evt, [NotNullWhen(false)] out string? error)
    {
        evt = null;
        // JsonDocument checks the structure but not the bytes inside strings: check them all first.
        if (!Utf8.IsValid(json.Span)) return Fail($"{subject} is not valid UTF-8", out error);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail($"{subject} must be a JSON object", out error);
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
            // Covers emptiness, truncation, bad tokens, trailing content and nesting past the reader's depth limit.
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

    private static bool Fail(string reason, out string error)
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
