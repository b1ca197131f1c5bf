using System.Reflection;

namespace ModeRefresh.EndToEnd.Tests.Harness;

/// <summary>Where the services' build output is: the same configuration as this test assembly, found from the repository root.</summary>
internal static class ServicePaths
{
    public static string Dll(string service)
    {
        var configuration = typeof(ServicePaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(TestSupport.RepoPaths.Root, "services", service, "bin", configuration, "net10.0", $"ModeRefresh.{service}.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is missing; this project's ProjectReference should have built it.", path);
    }

    /// <summary>The dotnet host that runs this test run (set by the CLI), else the one on PATH.</summary>
    public static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
