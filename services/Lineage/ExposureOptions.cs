using Microsoft.Extensions.Options;

namespace ModeRefresh.Lineage;

/// <summary>Exposure-driven refresh (configuration section <c>Exposures</c>): off unless turned on.</summary>
public sealed class ExposureOptions
{
    public const string SectionName = "Exposures";

    /// <summary>Refresh the Mode reports of the exposures a run made stale, beside the configured routes.</summary>
    public bool Enabled { get; set; }

    /// <summary>Also decide for errored runs (<c>runStatusCode</c> 20): the parts of the project that did build are fresh.</summary>
    public bool IncludeErroredRuns { get; set; }

    /// <summary>Least time between two refreshes of one report by exposures (issue 14); zero: no limit.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.Zero;
}

/// <summary>Checks <see cref="ExposureOptions"/> at start-up; each error names its setting.</summary>
internal sealed class ExposureOptionsValidator : IValidateOptions<ExposureOptions>
{
    public ValidateOptionsResult Validate(string? name, ExposureOptions options) =>
        options.MinInterval < TimeSpan.Zero || options.MinInterval > TimeSpan.FromDays(7)
            ? ValidateOptionsResult.Fail("Exposures:MinInterval must be between 00:00:00 and 7.00:00:00")
            : ValidateOptionsResult.Success;
}
