using Microsoft.Extensions.Configuration.Json;

namespace ModeRefresh.Refresh.Hosting;

public static class ConfigFileExtensions
{
    /// <summary>Environment variable (or configuration key) naming an extra JSON configuration file.</summary>
    public const string ConfigFileKey = "REFRESH_CONFIG_FILE";

    /// <summary>
    /// Adds the JSON file named by REFRESH_CONFIG_FILE (e.g. a mounted ConfigMap with the report routes) right
    /// after appsettings*.json: it overrides them, and environment variables and the command line still override it.
    /// The file must exist when the variable is set; a typo should stop the service, not start it without routes.
    /// </summary>
    public static WebApplicationBuilder AddRefreshConfigFile(this WebApplicationBuilder builder)
    {
        var path = builder.Configuration[ConfigFileKey];
        if (string.IsNullOrWhiteSpace(path))
        {
            return builder;
        }

        var source = new JsonConfigurationSource { Path = Path.GetFullPath(path), Optional = false, ReloadOnChange = false };
        source.ResolveFileProvider();
        var sources = builder.Configuration.Sources;
        var lastJson = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            lastJson = sources[i] is JsonConfigurationSource ? i : lastJson;
        }

        sources.Insert(lastJson + 1, source);
        return builder;
    }
}
