using Tracking.ServiceDefaults;

namespace Tracking.Api.TrackingPlans;

/// <summary>Where events blocked by a tracking plan wait for the operator (<c>Tracking:Quarantine</c>), whatever the sink.</summary>
internal sealed class QuarantineOptions : IValidatedOptions
{
    public const string Section = "Tracking:Quarantine";

    /// <summary>
    /// The folder of <c>quarantine.ndjson</c>, on the API's own disk for every sink (File, Kinesis, Firehose). Default
    /// <c>./data/quarantine</c>, beside the File sink's <c>./data/outbox</c>; a relative folder is taken from the content root.
    /// </summary>
    public string Directory { get; set; } = "./data/quarantine";

    /// <summary>The most bytes the quarantine holds; past it, a request with a blocked event is answered 503 (SDKs retry) until the operator re-admits or discards. Default 1 GiB.</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            yield return $"{Section}:Directory must name a folder.";
        }

        if (MaxBytes < ProtocolLimitsBytes)
        {
            yield return $"{Section}:MaxBytes must be at least {ProtocolLimitsBytes} (one request's events); it is {MaxBytes}.";
        }
    }

    private const long ProtocolLimitsBytes = Tracking.Events.ProtocolLimits.MaxEnrichedRequestBytes;
}
