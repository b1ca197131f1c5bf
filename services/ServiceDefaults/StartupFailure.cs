using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// Runs a service so that a failure to start (a bad setting above all) is ONE line on stderr and exit code 1, naming
/// the configuration key and why, instead of an unhandled exception: a 30–55-line stack trace and SIGABRT's 134.
/// </summary>
public static partial class StartupFailure
{
    /// <summary>The exit code of a service that could not start.</summary>
    public const int ExitCode = 1;

    /// <summary>
    /// Validates the options registered with <c>ValidateOnStart</c>, then runs the app until it stops. A failure before
    /// the app has started writes <c>&lt;app&gt;: cannot start: &lt;reason&gt;</c> to <paramref name="stderr"/> and returns
    /// <see cref="ExitCode"/>; a failure after that is not a start-up failure and propagates as before. Hosted by another
    /// process's code (WebApplicationFactory runs the entry point inside the test process) it only runs the app, so
    /// failures reach that host as exceptions, as they always did.
    /// </summary>
    public static int RunOrReportStartupFailure(this WebApplication app, TextWriter? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var name = app.Environment.ApplicationName;
        if (!string.Equals(System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name, name, StringComparison.Ordinal))
        {
            app.Run();
            return 0;
        }

        stderr ??= Console.Error;
        try
        {
            // The same checks the host makes first thing in StartAsync, made here so that a bad setting is reported by
            // this line alone, not also by the host's "Hosting failed to start" log entry with its stack trace.
            app.Services.GetService<IStartupValidator>()?.Validate();
        }
        catch (Exception ex)
        {
            return Report(stderr, name, ex);
        }

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        try
        {
            app.Run();
            return 0;
        }
        catch (Exception ex) when (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            // Anything else that stops the start (a port in use, a bad sidecar address): still one line on stderr.
            return Report(stderr, name, ex);
        }
    }

    /// <summary>
    /// The reason <paramref name="error"/> gives, on one line: every options validation failure, inner causes after
    /// their wrapper, and each configuration key it names (<c>Section:Key</c>) followed once by its environment form.
    /// </summary>
    public static string Describe(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var reasons = new List<string>();
        Collect(error, reasons);
        return WithEnvironmentNames(OneLine(string.Join("; ", reasons.Distinct(StringComparer.Ordinal))));
    }

    private static int Report(TextWriter stderr, string name, Exception error)
    {
        stderr.WriteLine($"{name}: cannot start: {Describe(error)}");
        stderr.Flush();
        return ExitCode;
    }

    private static void Collect(Exception error, List<string> reasons)
    {
        switch (error)
        {
            case AggregateException aggregate:
                // StartupValidator throws one of these when several options types fail.
                foreach (var inner in aggregate.Flatten().InnerExceptions) Collect(inner, reasons);
                break;
            case OptionsValidationException validation:
                reasons.AddRange(validation.Failures);
                break;
            default:
                // e.g. the configuration binder: "Failed to convert configuration value at 'X:Y' to type 'System.Int32'."
                // with the parser's complaint inside.
                var text = new StringBuilder(error.Message.TrimEnd());
                for (var inner = error.InnerException; inner is not null; inner = inner.InnerException)
                {
                    text.Append(" (").Append(inner.Message.TrimEnd()).Append(')');
                }

                reasons.Add(text.ToString());
                break;
        }
    }

    // A message never spans lines here: newlines and other control characters become spaces.
    private static string OneLine(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i])) chars[i] = ' ';
        }

        return string.Join(' ', new string(chars).Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string WithEnvironmentNames(string text)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return ConfigurationKey().Replace(text, m =>
        {
            var key = m.Groups["key"].Value;
            return seen.Add(key) && !text.AsSpan(m.Index + m.Length).StartsWith(" (env ", StringComparison.Ordinal)
                ? $"{m.Value} (env {key.Replace(":", "__", StringComparison.Ordinal)})"
                : m.Value;
        });
    }

    // "Ingress:MaxBodyBytes", "Refresh:Reports:0:Jobs", optionally in quotes (the binder's 'X:Y'): a capitalised section
    // and at least one more segment; not a URL ("https://…" is lowercase, "http://Host:80" follows a '/') and not a
    // time ("00:00:05" starts with a digit).
    [GeneratedRegex(@"(?<![\w:/.])(?<q>'?)(?<key>[A-Z][A-Za-z0-9_]*(?::[A-Za-z0-9_]+)+)(?![\w:])\k<q>")]
    private static partial Regex ConfigurationKey();
}
