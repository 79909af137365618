namespace Tracking.Consumer.Health;

/// <summary>The small HTTP port for health checks, bound from <c>Consumer:Http</c>.</summary>
public sealed class HttpOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Http";

    /// <summary>The default of <see cref="Urls"/>.</summary>
    public const string DefaultUrls = "http://localhost:8081";

    /// <summary>Where <c>/health/live</c> and <c>/health/ready</c> listen, separated by <c>;</c>. Default <c>http://localhost:8081</c>.</summary>
    public string Urls { get; set; } = DefaultUrls;
}
