using System.Text.RegularExpressions;
using Tracking.Aws;
using Tracking.Aws.Firehose;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Delivery.Firehose;

/// <summary>
/// The Amazon Data Firehose stream the Firehose sink writes to. Bound to <c>Tracking:Firehose</c>; checked at start
/// only when <c>Tracking:Sink</c> is <c>Firehose</c>. Credentials come from the standard AWS chain.
/// </summary>
internal sealed partial class FirehoseSinkOptions : AwsClientSettings, IValidatedOptions
{
    public const string Section = "Tracking:Firehose";

    /// <summary>Creates the options with the sinks' single-attempt client retries (<see cref="AwsSinkSettings.SingleAttempt"/>).</summary>
    public FirehoseSinkOptions() => Retry = AwsSinkSettings.SingleAttempt();

    /// <summary>The Firehose stream's name (a <c>DirectPut</c> stream). Required; no default.</summary>
    public string? DeliveryStreamName { get; set; }

    /// <summary>How often the stream's status is checked again for <c>/health/ready</c>. Default 1 minute.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(DeliveryStreamName))
        {
            yield return $"{Section}:DeliveryStreamName is required when Tracking:Sink is Firehose (environment variable Tracking__Firehose__DeliveryStreamName).";
        }
        else if (!StreamNamePattern().IsMatch(DeliveryStreamName))
        {
            yield return $"{Section}:DeliveryStreamName must be 1 to 64 letters, digits, '_', '-' or '.' (the Firehose naming rule); it is '{DeliveryStreamName}'.";
        }

        foreach (var error in ValidateSettings(Section).Concat(AwsSinkSettings.ValidateSingleAttempt(Section, Retry)))
        {
            yield return error;
        }

        if (RefreshInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{Section}:RefreshInterval must be at least 1 second (DescribeDeliveryStream has a low per-account quota); it is {RefreshInterval}.";
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9_.-]{1,64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex StreamNamePattern();
}
