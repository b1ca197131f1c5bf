using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// Where the Dapr sidecar is and the token it wants, resolved as the Dapr SDK resolves them: DAPR_GRPC_ENDPOINT, else
/// DAPR_GRPC_PORT on localhost (what <c>dapr run</c> sets); DAPR_HTTP_ENDPOINT, else DAPR_HTTP_PORT; DAPR_API_TOKEN —
/// each from configuration first, then the environment. Checked at start-up, so a bad address stops the service with
/// one line naming the variable rather than failing every webhook or delivery. Both services read it here, once.
/// </summary>
public sealed class SidecarEndpoints
{
    public string GrpcEndpoint { get; set; } = "";
    public string HttpEndpoint { get; set; } = "";
    public string? ApiToken { get; set; }

    public Uri GrpcAddress => new(GrpcEndpoint);
    public Uri HttpAddress => new(HttpEndpoint);

    /// <summary>The gRPC address as a user wrote it, without a trailing slash (for messages).</summary>
    public string Grpc => GrpcEndpoint.TrimEnd('/');

    /// <summary>The HTTP address as a user wrote it, without a trailing slash (for messages).</summary>
    public string Http => HttpEndpoint.TrimEnd('/');

    public override string ToString() => $"{Grpc} (gRPC) and {Http} (HTTP)";

    public static SidecarEndpoints FromConfiguration(IConfiguration configuration) => new()
    {
        GrpcEndpoint = Resolve(Dapr.DaprDefaults.GetDefaultGrpcEndpoint, configuration, "DAPR_GRPC_ENDPOINT", "DAPR_GRPC_PORT"),
        HttpEndpoint = Resolve(Dapr.DaprDefaults.GetDefaultHttpEndpoint, configuration, "DAPR_HTTP_ENDPOINT", "DAPR_HTTP_PORT"),
        ApiToken = Dapr.DaprDefaults.GetDefaultDaprApiToken(configuration),
    };

    // The SDK throws a bare UriFormatException or FormatException for a value it cannot use: keep what was set
    // instead, for the validator to refuse with the variable's name.
    private static string Resolve(Func<IConfiguration?, string> sdk, IConfiguration configuration, string endpoint, string port)
    {
        try
        {
            return sdk(configuration);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            var set = Setting(configuration, endpoint);
            return string.IsNullOrWhiteSpace(set) ? $"{port}={Setting(configuration, port)}" : set;
        }
    }

    // Where the SDK looks: configuration first, then the process environment.
    private static string? Setting(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } value ? value : Environment.GetEnvironmentVariable(name);

    /// <summary>Null when <paramref name="endpoint"/> is an absolute http(s) address; else why not, naming the variable.</summary>
    public static string? Check(string endpoint, string variable, string api, string example) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var address) && address.Scheme is "http" or "https"
            ? null
            : $"{variable} must be an http:// or https:// address of the Dapr sidecar's {api} (e.g. {example}); got '{endpoint}'";
}

internal sealed class SidecarEndpointsValidator : IValidateOptions<SidecarEndpoints>
{
    public ValidateOptionsResult Validate(string? name, SidecarEndpoints options)
    {
        // The values are addresses, never the token: safe to repeat in the message.
        var errors = new[]
        {
            SidecarEndpoints.Check(options.GrpcEndpoint, "DAPR_GRPC_ENDPOINT (or DAPR_GRPC_PORT)", "gRPC API", "http://127.0.0.1:50001"),
            SidecarEndpoints.Check(options.HttpEndpoint, "DAPR_HTTP_ENDPOINT (or DAPR_HTTP_PORT)", "HTTP API", "http://127.0.0.1:3500"),
        }.OfType<string>().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
