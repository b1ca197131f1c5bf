using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh;

internal sealed class SubscriptionOptionsValidator : IValidateOptions<SubscriptionOptions>
{
    public ValidateOptionsResult Validate(string? name, SubscriptionOptions options)
    {
        var distinct = new[] { options.CompletedTopic, options.DeadLetterTopic, options.RunsTopic, options.OutcomesTopic }
            .Distinct(StringComparer.Ordinal).Count();

        // One topic for two roles would feed dead letters or our own announcements back into the handler.
        return distinct == 4
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Subscription:CompletedTopic, Subscription:DeadLetterTopic, Subscription:RunsTopic and Subscription:OutcomesTopic must differ");
    }
}
