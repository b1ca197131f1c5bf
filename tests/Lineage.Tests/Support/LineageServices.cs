using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ModeRefresh.Lineage.Tests.Support;

/// <summary>The library registered as a service registers it (<see cref="LineageServiceCollectionExtensions.AddExposureLineage"/>), against a fake.</summary>
internal static class LineageServices
{
    public static ServiceProvider Build(string baseUrl, params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["DbtCloud:BaseUrl"] = baseUrl,
            // Short waits so failure tests take milliseconds; the pipeline's shape is the product's.
            ["DbtCloud:RetryBaseDelay"] = "00:00:00.010",
            ["DbtCloud:AttemptTimeout"] = "00:00:02",
            ["DbtCloud:RequestTimeout"] = "00:00:05",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddExposureLineage()
            .BuildServiceProvider(validateScopes: true);
    }
}
