using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.Planning.Routing;

/// <summary>Cross-field rules for <see cref="RoutingOptions"/>; every error names the entry and field.</summary>
internal sealed partial class RoutingOptionsValidator : IValidateOptions<RoutingOptions>
{
    private const string Prefix = RoutingOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        var errors = new List<string>();
        var hasDefaultWorkspace = !string.IsNullOrWhiteSpace(options.Workspace);
        if (hasDefaultWorkspace && !IsToken(options.Workspace!))
        {
            errors.Add($"{Prefix}:Workspace must be a Mode workspace username (letters, digits, '.', '-' or '_', starting with a letter or digit)");
        }

        for (var i = 0; i < options.Reports.Count; i++)
        {
            ValidateReport($"{Prefix}:Reports:{i}", options.Reports[i], hasDefaultWorkspace, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Same bound as Exposures:MinInterval: a coalesced run waits at most a week.</summary>
    public static readonly TimeSpan MaxMinInterval = TimeSpan.FromDays(7);

    private static void ValidateReport(string at, ReportRoute report, bool hasDefaultWorkspace, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(report.Report))
        {
            errors.Add($"{at}:Report is required");
        }
        else if (!IsToken(report.Report))
        {
            errors.Add($"{at}:Report must be a Mode report token (letters, digits, '.', '-' or '_', starting with a letter or digit), not a URL");
        }

        if (string.IsNullOrWhiteSpace(report.Workspace))
        {
            if (!hasDefaultWorkspace)
            {
                errors.Add($"{at}:Workspace is required when {Prefix}:Workspace is not set");
            }
        }
        else if (!IsToken(report.Workspace))
        {
            errors.Add($"{at}:Workspace must be a Mode workspace username (letters, digits, '.', '-' or '_', starting with a letter or digit)");
        }

        if (report.MinInterval < TimeSpan.Zero || report.MinInterval > MaxMinInterval)
        {
            errors.Add($"{at}:MinInterval must be between 00:00:00 and 7.00:00:00");
        }

        if (report.Jobs.Count == 0)
        {
            errors.Add($"{at}:Jobs must list at least one dbt job id, or \"*\" for every job");
        }

        AddBlankEntries($"{at}:Jobs", report.Jobs, errors);
        AddBlankEntries($"{at}:Environments", report.Environments, errors);

        if (!ReportParameters.IsObjectOrEmpty(report.Parameters))
        {
            errors.Add($"{at}:Parameters must be an object of parameter names and values");
        }
        else
        {
            foreach (var unknown in ParameterTemplate.UnknownPlaceholders(ReportParameters.ToJson(report.Parameters)))
            {
                errors.Add($"{at}:Parameters uses unknown placeholder {{{unknown}}}; known: " +
                    string.Join(", ", ParameterTemplate.Fields.Keys.Select(k => "{" + k + "}")));
            }
        }
    }

    private static void AddBlankEntries(string at, List<string>? values, List<string> errors)
    {
        for (var j = 0; j < (values?.Count ?? 0); j++)
        {
            if (string.IsNullOrWhiteSpace(values![j]))
            {
                errors.Add($"{at}:{j} is empty");
            }
        }
    }

    private static bool IsToken(string value) => TokenPattern().IsMatch(value.Trim());

    // Starts with a letter or digit: "." or ".." would be a path step in the Mode URL built from it.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex TokenPattern();
}
