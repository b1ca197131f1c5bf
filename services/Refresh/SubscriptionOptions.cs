using System.ComponentModel.DataAnnotations;
using ModeRefresh.Contracts;

namespace ModeRefresh.Refresh;

/// <summary>Topics on <c>Dapr:PubsubName</c> (configuration section <c>Subscription</c>).</summary>
public sealed class SubscriptionOptions
{
    public const string SectionName = "Subscription";

    /// <summary>Where Ingress publishes verified completed dbt runs (the same default as Ingress:CompletedTopic).</summary>
    [Required(ErrorMessage = "Subscription:CompletedTopic is required")]
    public string CompletedTopic { get; set; } = Topics.DbtRunCompleted;

    /// <summary>Where daprd sends events answered DROP or whose redeliveries ran out.</summary>
    [Required(ErrorMessage = "Subscription:DeadLetterTopic is required")]
    public string DeadLetterTopic { get; set; } = Topics.DbtRunCompletedDeadLetter;

    /// <summary>Where each accepted Mode run is announced (<c>ModeReportRunAccepted</c>).</summary>
    [Required(ErrorMessage = "Subscription:RunsTopic is required")]
    public string RunsTopic { get; set; } = Topics.ModeReportRuns;

    /// <summary>Where the end of each followed Mode run is published (<c>ModeReportRunFinished</c>).</summary>
    [Required(ErrorMessage = "Subscription:OutcomesTopic is required")]
    public string OutcomesTopic { get; set; } = Topics.ModeReportRunFinished;

    /// <summary>
    /// How long one delivery keeps starting reports, counted from the delivery's start; the ones not started by then
    /// run on the redelivery that RETRY asks for. With Exposures:Enabled the dbt Cloud calls come first and get at
    /// most half of it (ExposurePlanner.LineageBudget), whatever the DbtCloud timeouts say, so the whole delivery
    /// still takes at most this plus Mode:TotalTimeout for the last started report: 30 s + 20 s by default, under
    /// daprd's delivery timeout (components/resiliency.yaml: 60 s). Raise them together.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Subscription:DeliveryBudget must be between {1} and {2}")]
    public TimeSpan DeliveryBudget { get; set; } = TimeSpan.FromSeconds(30);
}
