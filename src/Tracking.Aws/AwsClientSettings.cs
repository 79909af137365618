using System.Text.RegularExpressions;
using Amazon;
using Amazon.Runtime;
using Tracking.Aws.Retries;

namespace Tracking.Aws;

/// <summary>
/// The AWS client settings every user of these clients binds, under its own section: the API's Kinesis sink
/// (<c>Tracking:Kinesis</c>), its Firehose sink (<c>Tracking:Firehose</c>) and the consumer (<c>Consumer:Kinesis</c>,
/// its S3 and DynamoDB clients). The Kinesis and Firehose clients take them directly; AWSSDK clients get them through
/// <see cref="Apply"/>. One region default, one region rule, one retry policy, one request timeout, and one set of
/// messages that name the setting under the section that binds it.
/// </summary>
public partial class AwsClientSettings
{
    /// <summary>The environment variable read for the region when <see cref="Region"/> is not set.</summary>
    public const string RegionVariable = "AWS_REGION";

    /// <summary>The environment variable read for the region when neither <see cref="Region"/> nor <see cref="RegionVariable"/> is set.</summary>
    public const string DefaultRegionVariable = "AWS_DEFAULT_REGION";

    /// <summary>The default of <see cref="RequestTimeout"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The AWS region, e.g. <c>eu-west-1</c>. Default: none, then the <c>AWS_REGION</c> and <c>AWS_DEFAULT_REGION</c>
    /// environment variables, in that order (<see cref="RegionOrDefault"/>). Requests are signed for it even when
    /// <see cref="ServiceUrl"/> points elsewhere.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>
    /// An absolute <c>http</c> or <c>https</c> URL that replaces the regional endpoint, for emulators (kinesalite,
    /// kinesis-local, LocalStack) or VPC endpoints. Default: none, which means <c>https://{service}.{region}.amazonaws.com</c>.
    /// </summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>How one call is retried on throttling, 5xx and network errors. Default: 3 attempts, 100 ms base, 20 s cap.</summary>
    public AwsRetryOptions Retry { get; set; } = new();

    /// <summary>Longest one HTTP attempt may take before it counts as failed: the timeout of the <c>HttpClient</c> the
    /// client is given. Default 30 s; more than zero, at most 5 minutes.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>The region from the environment: <c>AWS_REGION</c>, else <c>AWS_DEFAULT_REGION</c>; <see langword="null"/> when neither is set.</summary>
    /// <param name="lookup">Reads a variable, e.g. <see cref="Environment.GetEnvironmentVariable(string)"/> or an <c>IConfiguration</c> indexer.</param>
    public static string? DefaultRegion(Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        return NonBlank(lookup(RegionVariable)) ?? NonBlank(lookup(DefaultRegionVariable));
    }

    /// <summary>Whether <paramref name="region"/> has the shape of an AWS region name such as <c>us-east-1</c>.</summary>
    public static bool IsRegionName(string region) => RegionPattern().IsMatch(region);

    /// <summary>The configured <see cref="Region"/>, trimmed, else <see cref="DefaultRegion"/>'s; the one place the default is decided.</summary>
    /// <param name="lookup">Reads a variable, e.g. <see cref="Environment.GetEnvironmentVariable(string)"/> or an <c>IConfiguration</c> indexer.</param>
    public string? RegionOrDefault(Func<string, string?> lookup) => NonBlank(Region) ?? DefaultRegion(lookup);

    /// <summary>
    /// Every broken rule, each naming its setting under <paramref name="section"/> (e.g. <c>Tracking:Kinesis:Region</c>).
    /// A region is required here: apply <see cref="RegionOrDefault"/> before validating.
    /// </summary>
    public IEnumerable<string> ValidateSettings(string section) => Rules(section, regionRequired: true);

    /// <summary>
    /// Maps these settings onto an AWSSDK client's configuration: the per-attempt timeout, the SDK's retries (attempts
    /// beyond the first), and either the region's endpoint or <see cref="ServiceUrl"/> signed for <see cref="Region"/>.
    /// </summary>
    public void Apply(ClientConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Timeout = RequestTimeout;
        config.MaxErrorRetry = Math.Max(0, Retry.MaxAttempts - 1);
        if (ServiceUrl is { } url)
        {
            config.ServiceURL = url.ToString();
            config.AuthenticationRegion = Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(Region);
        }
    }

    /// <summary>A copy of these settings with another retry policy, for a client whose caller retries itself.</summary>
    public AwsClientSettings WithRetry(AwsRetryOptions retry)
    {
        ArgumentNullException.ThrowIfNull(retry);
        return new AwsClientSettings { Region = Region, ServiceUrl = ServiceUrl, Retry = retry, RequestTimeout = RequestTimeout };
    }

    /// <summary>The rules a client checks when it is built: those of <see cref="ValidateSettings"/> but the region's
    /// presence, which <see cref="ResolveRegion"/> may still find in the environment.</summary>
    internal IEnumerable<string> ValidateForClient(string section) => Rules(section, regionRequired: false);

    /// <summary>Throws an <see cref="ArgumentException"/> listing every rule of <see cref="ValidateForClient"/> broken, if any.</summary>
    internal void ThrowIfInvalid(string section)
    {
        var errors = ValidateForClient(section).ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid {section} options: {string.Join(" ", errors)}");
        }
    }

    /// <summary>The region a client signs for (<see cref="RegionOrDefault"/>); throws when there is none or it is malformed.</summary>
    internal string ResolveRegion(string section, Func<string, string?> environment)
    {
        var region = RegionOrDefault(environment)
            ?? throw new InvalidOperationException(
                $"No AWS region is configured: set {section}:Region or the {RegionVariable} / {DefaultRegionVariable} environment variable.");

        if (!IsRegionName(region))
        {
            throw new InvalidOperationException($"The AWS region '{region}' is not a valid region name such as 'us-east-1'.");
        }

        return region;
    }

    /// <summary><see cref="ServiceUrl"/> when set, else the service's regional endpoint.</summary>
    internal Uri ResolveEndpoint(string endpointPrefix, string region)
    {
        if (ServiceUrl is not null)
        {
            return ServiceUrl;
        }

        // The China partition is the one commercial partition with another DNS suffix.
        var suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://{endpointPrefix}.{region}.{suffix}/");
    }

    private IEnumerable<string> Rules(string section, bool regionRequired)
    {
        if (string.IsNullOrWhiteSpace(Region))
        {
            if (regionRequired)
            {
                yield return $"No AWS region is configured: set {section}:Region or the {RegionVariable} (or {DefaultRegionVariable}) environment variable.";
            }
        }
        else if (!IsRegionName(Region))
        {
            yield return $"{section}:Region (or {RegionVariable}) must be an AWS region such as 'eu-west-1'; it is '{Region}'.";
        }

        if (ServiceUrl is not null && (!ServiceUrl.IsAbsoluteUri || (ServiceUrl.Scheme != Uri.UriSchemeHttp && ServiceUrl.Scheme != Uri.UriSchemeHttps)))
        {
            yield return $"{section}:ServiceUrl must be an absolute http or https URL such as 'http://localhost:4567'; it is '{ServiceUrl}'.";
        }

        if (Retry is null)
        {
            yield return $"{section}:Retry must be set.";
        }
        else
        {
            foreach (var error in Retry.Validate($"{section}:Retry"))
            {
                yield return error;
            }
        }

        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{section}:RequestTimeout must be more than zero and at most 5 minutes; it is {RequestTimeout}.";
        }
    }

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [GeneratedRegex("^[a-z]{2}(-[a-z0-9]+)+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex RegionPattern();
}
