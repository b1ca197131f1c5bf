namespace ModeRefresh.Bench.Runner;

/// <summary>
/// How the measured services are launched: the Release build (or the AOT binary) with a production-like environment,
/// logging at Warning. Every setting key the bench gives a service is in this file.
/// </summary>
internal static class Services
{
    public const string WebhookKeySecret = "DBT_WEBHOOK_KEY";
    public const string ModeToken = "bench-token";
    public const string ModeSecret = "bench-secret";

    public static Dictionary<string, string> Environment(string daprGrpc, string daprHttp) => new()
    {
        ["DAPR_GRPC_ENDPOINT"] = daprGrpc,
        ["DAPR_HTTP_ENDPOINT"] = daprHttp,
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["DOTNET_ENVIRONMENT"] = "Production",
    };

    /// <summary>Refresh for the load rows: one route, and a Mode address nothing listens on (it gets no traffic there).</summary>
    public static Dictionary<string, string> IdleRefresh(Dictionary<string, string> environment) => new(environment)
    {
        ["Refresh__Workspace"] = "bench",
        ["Refresh__Reports__0__Report"] = "benchreport1",
        ["Refresh__Reports__0__Jobs__0"] = "*",
        ["Mode__BaseUrl"] = "http://127.0.0.1:9",
    };

    /// <summary>
    /// Refresh for the end-to-end row: job j routed to report r&lt;j&gt;, and a Mode rate limit (4/s by default, Mode's
    /// own) far above the webhook rate so that it is not what is measured.
    /// </summary>
    public static Dictionary<string, string> RoutedRefresh(Dictionary<string, string> environment, int jobs, string modeUrl)
    {
        var env = new Dictionary<string, string>(environment)
        {
            ["Refresh__Workspace"] = "bench",
            ["Mode__BaseUrl"] = modeUrl,
            ["Mode__RequestsPerSecond"] = "1000",
        };
        for (var j = 0; j < jobs; j++)
        {
            env[$"Refresh__Reports__{j}__Report"] = $"r{j}";
            env[$"Refresh__Reports__{j}__Jobs__0"] = $"{j}";
        }
        return env;
    }

    /// <summary><c>dotnet &lt;dll&gt;</c> or a native binary, listening on 127.0.0.1:<paramref name="port"/>.</summary>
    public static (string File, string[] Args) Command(string program, int port) =>
        program.EndsWith(".dll", StringComparison.Ordinal)
            ? ("dotnet", [program, "--urls", $"http://127.0.0.1:{port}"])
            : (program, ["--urls", $"http://127.0.0.1:{port}"]);
}
