using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.State;

internal sealed class IdempotencyOptionsValidator(IOptions<ModeOptions> mode) : IValidateOptions<IdempotencyOptions>
{
    public ValidateOptionsResult Validate(string? name, IdempotencyOptions options)
    {
        var errors = new List<string>();
        if (options.RecordTtl < TimeSpan.FromSeconds(1))
        {
            errors.Add("Idempotency:RecordTtl must be at least 00:00:01");
        }

        // A lease shorter than one run would let a redelivery start a second Mode run while the first is in flight.
        if (options.Lease <= mode.Value.TotalTimeout)
        {
            errors.Add("Idempotency:Lease must be longer than Mode:TotalTimeout");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
