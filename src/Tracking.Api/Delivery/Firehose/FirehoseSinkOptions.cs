using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Tracking.Aws.Firehose;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery.Firehose;

/// <summary>
/// The Amazon Data Firehose stream the Firehose sink writes to. Bound to <c>Tracking:Firehose</c>; checked at start
/// only when <c>Tracking:Sink</c> is <c>Firehose</c>. Credentials come from the standard AWS chain.
/// </summary>
internal sealed partial class FirehoseSinkOptions : IValidatableObject
{
    public const string Section = "Tracking:Firehose";

    /// <summary>The Firehose stream's name (a <c>DirectPut</c> stream). Required; no default.</summary>
    public string? DeliveryStreamName { get; set; }

    /// <summary>The AWS region, e.g. <c>eu-west-1</c>. Default: the <c>AWS_REGION</c> environment variable, else <c>AWS_DEFAULT_REGION</c>.</summary>
    public string? Region { get; set; }

    /// <summary>An http(s) URL that replaces <c>https://firehose.{region}.amazonaws.com</c> (LocalStack, VPC endpoints). Default: none.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>
    /// How the client retries one call on throttling, 5xx and network errors before the batcher's backoff
    /// (<c>Tracking:Batching:RetryBaseDelay</c>/<c>RetryMaxDelay</c>) takes over. Default: 3 attempts, 100 ms base, 20 s cap.
    /// </summary>
    public AwsRetryOptions Retry { get; set; } = new();

    /// <summary>Longest one HTTP attempt may take before it counts as failed. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the stream's status is checked again for <c>/health/ready</c>. Default 1 minute.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    public FirehoseClientOptions ToClientOptions() => new()
    {
        Region = Region,
        ServiceUrl = ServiceUrl,
        Retry = new AwsRetryOptions { MaxAttempts = Retry.MaxAttempts, BaseDelay = Retry.BaseDelay, MaxDelay = Retry.MaxDelay },
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(DeliveryStreamName))
        {
            yield return new($"{Section}:DeliveryStreamName is required when Tracking:Sink is Firehose (environment variable Tracking__Firehose__DeliveryStreamName).");
        }
        else if (!StreamNamePattern().IsMatch(DeliveryStreamName))
        {
            yield return new($"{Section}:DeliveryStreamName must be 1 to 64 letters, digits, '_', '-' or '.' (the Firehose naming rule); it is '{DeliveryStreamName}'.");
        }

        foreach (var error in AwsSinkSettings.ValidateEndpoint(Section, Region, ServiceUrl, Retry, RequestTimeout))
        {
            yield return new(error);
        }

        if (RefreshInterval < TimeSpan.FromSeconds(1))
        {
            yield return new($"{Section}:RefreshInterval must be at least 1 second (DescribeDeliveryStream has a low per-account quota); it is {RefreshInterval}.");
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9_.-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex StreamNamePattern();
}
