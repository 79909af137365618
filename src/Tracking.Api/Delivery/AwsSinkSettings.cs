using System.Net.Sockets;
using Amazon.Runtime;
using Tracking.Aws;
using Tracking.Aws.Errors;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery;

/// <summary>
/// What the Kinesis and Firehose sinks share besides their <see cref="AwsClientSettings"/> (whose region default and
/// HTTP client come from <c>Tracking.ServiceDefaults.AwsClientSetup</c>, as the consumer's do): one attempt per
/// client call, and the plain-words reason an operator reads in <c>/health/ready</c> when a call fails.
/// </summary>
internal static class AwsSinkSettings
{
    /// <summary>
    /// The sinks' client retry settings: one attempt per call. Every call of a sink's client sits inside a loop that
    /// retries it with <see cref="BatchingOptions.Retries"/> (a batch's delivery, a lane's put, the stream check), so a
    /// client retrying too would multiply the attempts and hide how long the endpoint has been failing.
    /// </summary>
    public static AwsRetryOptions SingleAttempt() => new() { MaxAttempts = 1 };

    /// <summary>Refuses a <c>Retry:MaxAttempts</c> other than 1 under <paramref name="section"/>, saying which settings retry instead.</summary>
    public static IEnumerable<string> ValidateSingleAttempt(string section, AwsRetryOptions? retry)
    {
        if (retry is { MaxAttempts: not 1 and >= 1 and <= AwsRetryOptions.MaxAllowedAttempts })
        {
            yield return $"{section}:Retry:MaxAttempts must be 1 (or left out): the sink retries every failed call itself with {BatchingOptions.Section}:RetryBaseDelay and RetryMaxDelay, so its client makes one attempt; it is {retry.MaxAttempts}.";
        }
    }

    /// <summary>Credentials registered in the container (embedders, tests), else null for AWSSDK.Core's default chain.</summary>
    public static AWSCredentials? Credentials(IServiceProvider provider) => provider.GetService<AWSCredentials>();

    /// <summary>Why a call failed, in words that say what to fix; <paramref name="what"/> names the stream.</summary>
    public static string Describe(Exception exception, string what, Uri endpoint, string permission) => exception switch
    {
        AwsResourceNotFoundException e => $"{what} was not found at {endpoint} ({e.Message})",
        AwsAccessDeniedException e => $"access to {what} was denied; the credentials need {permission} ({e.Message})",
        AwsThrottlingException e => $"{what} is throttling requests ({e.Message})",
        AwsServiceException e => $"{what} answered an error ({e.Message})",
        HttpRequestException { InnerException: SocketException socket } => $"the endpoint {endpoint} is unreachable ({socket.SocketErrorCode}: {socket.Message})",
        HttpRequestException e => $"the endpoint {endpoint} is unreachable ({e.Message})",
        TaskCanceledException => $"the endpoint {endpoint} did not answer in time",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    /// <summary>What kind of failure an exception is (the AWS error code, else its type), to log a long outage once.</summary>
    public static string Kind(Exception exception) => exception is AwsServiceException aws ? aws.ErrorCode : exception.GetType().Name;

}
