namespace ModeRefresh.SendWebhook;

/// <summary>What to send, parsed from the command line (and DBT_WEBHOOK_KEY for the key).</summary>
public sealed record SendOptions
{
    public string Url { get; init; } = "http://localhost:5080/webhooks/dbt";
    public string? Key { get; init; }
    public string? File { get; init; }
    public string EventType { get; init; } = "job.run.completed";
    public string EventId { get; init; } = "wev_" + Guid.NewGuid().ToString("N");
    public string AccountId { get; init; } = "1";
    public string JobId { get; init; } = "123";
    public string RunId { get; init; } = "12345";
    public string EnvironmentId { get; init; } = "1234";
    public string Status { get; init; } = "success";
    public bool DryRun { get; init; }

    public const string Usage = """
        send-webhook: post a signed dbt Cloud job-run webhook (as dbt signs it) and print the answer.

          dotnet run --project tools/SendWebhook -- [options]

          --url URL           where to post (default http://localhost:5080/webhooks/dbt)
          --key KEY           webhook secret; default: environment variable DBT_WEBHOOK_KEY
          --file PATH         send this file's exact bytes instead of a built payload
          --event-type TYPE   job.run.completed (default), job.run.started, job.run.errored
          --status STATUS     success (default), error, cancelled, running
          --account ID  --job ID  --run ID  --environment ID  --event-id ID
          --dry-run           print the body and signature, send nothing
        """;

    /// <summary>Parses arguments; returns an error message for anything it does not understand.</summary>
    public static (SendOptions? Options, string? Error) Parse(IReadOnlyList<string> args, Func<string, string?> env)
    {
        var o = new SendOptions { Key = env("DBT_WEBHOOK_KEY") };
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "--dry-run") { o = o with { DryRun = true }; continue; }
            if (name is "-h" or "--help") return (null, null);
            if (i + 1 >= args.Count) return (null, $"{name} needs a value");
            var value = args[++i];
            switch (name)
            {
                case "--url": o = o with { Url = value }; break;
                case "--key": o = o with { Key = value }; break;
                case "--file": o = o with { File = value }; break;
                case "--event-type": o = o with { EventType = value }; break;
                case "--event-id": o = o with { EventId = value }; break;
                case "--account": o = o with { AccountId = value }; break;
                case "--job": o = o with { JobId = value }; break;
                case "--run": o = o with { RunId = value }; break;
                case "--environment": o = o with { EnvironmentId = value }; break;
                case "--status": o = o with { Status = value }; break;
                default: return (null, $"unknown option {name}");
            }
        }
        if (string.IsNullOrEmpty(o.Key)) return (null, "no key: pass --key or set DBT_WEBHOOK_KEY");
        if (!Uri.TryCreate(o.Url, UriKind.Absolute, out _)) return (null, $"--url is not an absolute URL: {o.Url}");
        if (!PayloadBuilder.Statuses.ContainsKey(o.Status)) return (null, $"--status must be one of {string.Join(", ", PayloadBuilder.Statuses.Keys)}");
        return (o, null);
    }
}
