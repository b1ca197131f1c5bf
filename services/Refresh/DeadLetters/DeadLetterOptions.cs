using System.ComponentModel.DataAnnotations;

namespace ModeRefresh.Refresh.DeadLetters;

/// <summary>The dead-letter list kept in <c>Dapr:StateStore</c> (configuration section <c>DeadLetters</c>).</summary>
public sealed class DeadLetterOptions
{
    public const string SectionName = "DeadLetters";

    /// <summary>State key of the list; each payload is kept under <c>{Key}:payload:{id}</c>.</summary>
    [Required(ErrorMessage = "DeadLetters:Key is required")]
    public string Key { get; set; } = "deadletters";

    /// <summary>Newest entries kept; older ones are dropped from the list (the log keeps them).</summary>
    [Range(1, 10_000, ErrorMessage = "DeadLetters:MaxEntries must be between {1} and {2}")]
    public int MaxEntries { get; set; } = 100;

    /// <summary>
    /// Most bytes of one dead letter's data kept; beyond that only its start is kept, marked as cut. The limit keeps
    /// every state write under daprd's default 4 MiB request size (--max-body-size), so a large dead letter is still
    /// listed instead of failing every save.
    /// </summary>
    [Range(1024, 3 * 1024 * 1024, ErrorMessage = "DeadLetters:MaxPayloadBytes must be between {1} and {2}")]
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>How long the reason recorded for a DROP/RETRY answer waits for its dead letter.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "DeadLetters:ReasonTtl must be between {1} and {2}")]
    public TimeSpan ReasonTtl { get; set; } = TimeSpan.FromDays(7);
}
