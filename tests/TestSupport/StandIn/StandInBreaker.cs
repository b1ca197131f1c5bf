namespace ModeRefresh.TestSupport;

/// <summary>sony/gobreaker v0.5.0 gobreaker.go, the parts daprd uses: Execute's beforeRequest/afterRequest with generations.</summary>
internal sealed class StandInBreaker(StandInCircuitBreaker settings, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private StandInBreakerState _state = StandInBreakerState.Closed;
    private long _generation;
    private int _requests;
    private int _consecutiveSuccesses;
    private int _consecutiveFailures;
    private DateTimeOffset _expiry = settings.Interval > TimeSpan.Zero ? clock.GetUtcNow() + settings.Interval : DateTimeOffset.MinValue;

    public int Trips { get; private set; }

    public StandInBreakerState State
    {
        get
        {
            lock (_gate)
            {
                return Current(clock.GetUtcNow());
            }
        }
    }

    /// <summary>Null when the call may go ahead (its generation returned), else the error gobreaker answers.</summary>
    public long? TryEnter(out string? refusal)
    {
        lock (_gate)
        {
            var state = Current(clock.GetUtcNow());
            if (state == StandInBreakerState.Open)
            {
                refusal = "circuit breaker is open";
                return null;
            }

            if (state == StandInBreakerState.HalfOpen && _requests >= Math.Max(1, settings.MaxRequests))
            {
                refusal = "too many requests";
                return null;
            }

            _requests++;
            refusal = null;
            return _generation;
        }
    }

    public void Exit(long generation, bool success)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            var state = Current(now);
            if (generation != _generation)
            {
                return;
            }

            if (success)
            {
                _consecutiveFailures = 0;
                _consecutiveSuccesses++;
                if (state == StandInBreakerState.HalfOpen && _consecutiveSuccesses >= Math.Max(1, settings.MaxRequests))
                {
                    SetState(StandInBreakerState.Closed, now);
                }

                return;
            }

            _consecutiveSuccesses = 0;
            _consecutiveFailures++;
            if (state == StandInBreakerState.HalfOpen
                || (state == StandInBreakerState.Closed && _consecutiveFailures >= settings.TripAtConsecutiveFailures))
            {
                SetState(StandInBreakerState.Open, now);
            }
        }
    }

    private StandInBreakerState Current(DateTimeOffset now)
    {
        if (_state == StandInBreakerState.Closed && _expiry != DateTimeOffset.MinValue && _expiry < now)
        {
            NewGeneration(now);
        }
        else if (_state == StandInBreakerState.Open && _expiry < now)
        {
            SetState(StandInBreakerState.HalfOpen, now);
        }

        return _state;
    }

    private void SetState(StandInBreakerState state, DateTimeOffset now)
    {
        if (state == StandInBreakerState.Open && _state != StandInBreakerState.Open)
        {
            Trips++;
        }

        _state = state;
        NewGeneration(now);
    }

    private void NewGeneration(DateTimeOffset now)
    {
        _generation++;
        _requests = 0;
        _consecutiveSuccesses = 0;
        _consecutiveFailures = 0;
        _expiry = _state switch
        {
            StandInBreakerState.Closed => settings.Interval > TimeSpan.Zero ? now + settings.Interval : DateTimeOffset.MinValue,
            StandInBreakerState.Open => now + settings.Timeout,
            _ => DateTimeOffset.MinValue,
        };
    }
}
