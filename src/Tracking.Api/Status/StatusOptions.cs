using Tracking.ServiceDefaults;

namespace Tracking.Api.Status;

/// <summary>What the status page shows beyond the API itself, bound from <c>Tracking:Status</c>.</summary>
internal sealed class StatusOptions : IValidatedOptions
{
    public const string Section = "Tracking:Status";

    /// <summary>
    /// The consumer's HTTP address (its <c>Consumer:Http:Urls</c>, e.g. <c>http://consumer:8081</c>). When set,
    /// the status page shows the lag of each shard from the consumer's <c>/status.json</c>, or "unreachable".
    /// Default none: the status page shows no consumer.
    /// </summary>
    public Uri? ConsumerUrl { get; set; }

    /// <summary>The consumer's admin key (its <c>Consumer:AdminKey</c>). Default: this API's <c>Tracking:AdminKey</c>.</summary>
    public string? ConsumerKey { get; set; }

    /// <summary>How long the consumer may take to answer before it is shown as unreachable. Default 2 s; 100 ms to 30 s.</summary>
    public TimeSpan ConsumerTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<string> Validate()
    {
        if (ConsumerUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            yield return $"{Section}:ConsumerUrl must be an absolute http or https address, such as http://localhost:8081.";
        }

        if (ConsumerTimeout < TimeSpan.FromMilliseconds(100) || ConsumerTimeout > TimeSpan.FromSeconds(30))
        {
            yield return $"{Section}:ConsumerTimeout must be between 00:00:00.1 and 00:00:30 (it is {ConsumerTimeout}).";
        }
    }
}
