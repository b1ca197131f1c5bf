using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ModeRefresh.SendWebhook;

/// <summary>Builds a body in dbt Cloud's shape and signs it the way dbt does.</summary>
public static class PayloadBuilder
{
    // dbt's runStatusCode / runStatus pairs.
    public static readonly IReadOnlyDictionary<string, (int Code, string Name)> Statuses = new Dictionary<string, (int, string)>
    {
        ["success"] = (10, "Success"),
        ["error"] = (20, "Errored"),
        ["cancelled"] = (30, "Cancelled"),
        ["running"] = (3, "Running"),
    };

    public static byte[] Build(SendOptions o, DateTimeOffset now)
    {
        var (code, name) = Statuses[o.Status];
        var finished = now.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var data = new Dictionary<string, object?>
        {
            ["jobId"] = o.JobId,
            ["jobName"] = "ModeRefresh test job",
            ["runId"] = o.RunId,
            ["environmentId"] = o.EnvironmentId,
            ["environmentName"] = "Production",
            ["dbtVersion"] = "1.9.0",
            ["projectName"] = "ModeRefresh test",
            ["projectId"] = "1",
            ["runStatus"] = name,
            ["runStatusCode"] = code,
            ["runStatusMessage"] = "None",
            ["runReason"] = "Sent by ModeRefresh send-webhook",
            ["runStartedAt"] = finished,
        };
        if (o.EventType == "job.run.errored") data["runErroredAt"] = finished;
        else if (o.EventType == "job.run.completed") data["runFinishedAt"] = finished;

        var payload = new Dictionary<string, object?>
        {
            ["accountId"] = long.TryParse(o.AccountId, out var account) ? account : o.AccountId,
            ["webhookId"] = "wsu_moderefresh_test",
            ["eventId"] = o.EventId,
            ["timestamp"] = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["eventType"] = o.EventType,
            ["webhookName"] = "moderefresh-test",
            ["data"] = data,
        };
        return JsonSerializer.SerializeToUtf8Bytes(payload);
    }

    /// <summary>Lowercase hex HMAC-SHA256 of the exact bytes, keyed with the secret's UTF-8 bytes.</summary>
    public static string Sign(ReadOnlySpan<byte> body, string key) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), body));
}
