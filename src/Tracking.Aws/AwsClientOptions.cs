using Tracking.Aws.Retries;

namespace Tracking.Aws;

/// <summary>
/// Where and how a client reaches its AWS service: the region (which also scopes the SigV4 signature), an
/// optional endpoint override for emulators, and the retry policy. Applications bind <see cref="AwsClientSettings"/>
/// and turn it into these with <see cref="AwsClientSettings.ToKinesisClientOptions"/> or
/// <see cref="AwsClientSettings.ToFirehoseClientOptions"/>; the region rule and default are the same in both.
/// </summary>
public abstract class AwsClientOptions
{
    /// <summary>The environment variable read for the region when <see cref="Region"/> is not set.</summary>
    public const string RegionVariable = AwsClientSettings.RegionVariable;

    /// <summary>The environment variable read for the region when neither <see cref="Region"/> nor <see cref="RegionVariable"/> is set.</summary>
    public const string DefaultRegionVariable = AwsClientSettings.DefaultRegionVariable;

    /// <summary>
    /// The AWS region, e.g. <c>eu-west-1</c>. Default: none, then the <c>AWS_REGION</c> and
    /// <c>AWS_DEFAULT_REGION</c> environment variables, in that order. The signature is always scoped to this
    /// region, even when <see cref="ServiceUrl"/> points elsewhere.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>
    /// An absolute <c>http</c> or <c>https</c> URL that replaces the regional endpoint, for emulators such as
    /// kinesalite, kinesis-local or LocalStack. Default: none, which means <c>https://{service}.{region}.amazonaws.com</c>.
    /// </summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Retry policy for throttling, 5xx and transient network errors. Default: <see cref="AwsRetryOptions"/>'s defaults.</summary>
    public AwsRetryOptions Retry { get; set; } = new();

    /// <summary>The configuration section these options bind from, used to name settings in validation messages.</summary>
    protected abstract string SectionName { get; }

    /// <summary>Lists every broken rule, each naming its setting (e.g. <c>Kinesis:Retry:MaxAttempts</c>); empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Region is not null && !AwsClientSettings.IsRegionName(Region))
        {
            errors.Add($"{SectionName}:Region must look like an AWS region such as 'us-east-1' (got '{Region}').");
        }

        if (ServiceUrl is not null
            && (!ServiceUrl.IsAbsoluteUri || (ServiceUrl.Scheme != Uri.UriSchemeHttp && ServiceUrl.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"{SectionName}:ServiceUrl must be an absolute http or https URL (got '{ServiceUrl}').");
        }

        if (Retry is null)
        {
            errors.Add($"{SectionName}:Retry must be set.");
        }
        else
        {
            errors.AddRange(Retry.Validate($"{SectionName}:Retry"));
        }

        return errors;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every broken rule, if any.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid {SectionName} options: {string.Join(" ", errors)}");
        }
    }

    /// <summary>The configured region, else the environment's; throws when there is none.</summary>
    internal string ResolveRegion(Func<string, string?> environment)
    {
        var region = string.IsNullOrWhiteSpace(Region) ? AwsClientSettings.DefaultRegion(environment) : Region;

        if (string.IsNullOrWhiteSpace(region))
        {
            throw new InvalidOperationException(
                $"No AWS region is configured: set {SectionName}:Region or the {RegionVariable} / {DefaultRegionVariable} environment variable.");
        }

        region = region.Trim();
        if (!AwsClientSettings.IsRegionName(region))
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
}
