using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.Planning.Routing;

/// <summary>
/// Which configuration sources hold entries under <c>Refresh:Reports</c>. .NET configuration merges lists entry
/// by entry (index 0 of the environment replaces index 0 of a file), so routes spread over two sources would
/// mix silently: an example route in the environment once replaced the first route of a mounted file.
/// Reading the providers needs the raw configuration root, which is why this, and nothing else, takes it.
/// </summary>
public sealed record RouteSources(IReadOnlyList<string> Names)
{
    private const string ReportsPath = RoutingOptions.SectionName + ":Reports";

    public static RouteSources From(IConfiguration configuration) =>
        new(configuration is IConfigurationRoot root
            ? [.. root.Providers.Where(p => p.GetChildKeys([], ReportsPath).Any()).Select(Describe).Distinct(StringComparer.Ordinal)]
            : []);

    public override string ToString() => Names.Count == 0 ? "(none)" : string.Join("; ", Names);

    private static string Describe(IConfigurationProvider provider) => provider switch
    {
        FileConfigurationProvider file => $"file {FullPath(file.Source)}",
        EnvironmentVariablesConfigurationProvider => "environment variables",
        CommandLineConfigurationProvider => "command line",
        _ => provider.ToString() ?? provider.GetType().Name,
    };

    private static string FullPath(FileConfigurationSource source) =>
        source.FileProvider is PhysicalFileProvider physical && source.Path is { } path
            ? Path.Combine(physical.Root, path)
            : source.Path ?? "(unnamed)";
}

/// <summary>Stops start-up when <c>Refresh:Reports</c> comes from more than one source (see <see cref="RouteSources"/>).</summary>
internal sealed class RouteSourcesValidator(RouteSources sources) : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options) =>
        sources.Names.Count <= 1
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Refresh:Reports is set in more than one configuration source ({sources}); lists merge entry by entry, " +
                "so routes from one would silently replace routes of the other. Keep every route in one source.");
}
