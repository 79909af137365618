namespace Tracking.Api.Delivery;

/// <summary>How the last delivery went, for the readiness check.</summary>
internal sealed class SinkStatus
{
    private volatile string? _lastError;

    public string? LastError => _lastError;

    public DateTimeOffset? FailingSince { get; private set; }

    public void Succeeded()
    {
        _lastError = null;
        FailingSince = null;
    }

    public void Failed(string error, DateTimeOffset now)
    {
        FailingSince ??= now;
        _lastError = error;
    }
}
