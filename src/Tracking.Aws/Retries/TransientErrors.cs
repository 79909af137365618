using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Tracking.Aws.Errors;

namespace Tracking.Aws.Retries;

/// <summary>
/// The one answer to "is this error worth another attempt?" for every AWS call of the pipeline, ours and AWSSDK's:
/// throttling, server errors (5xx) and the network (a refused, reset or timed-out connection). Errors in the request
/// itself (validation, access, not found) are not: sending it again cannot help. Whether the caller's own token was
/// cancelled is the caller's to check; a <see cref="TaskCanceledException"/> here means a timeout.
/// </summary>
public static class TransientErrors
{
    /// <summary>
    /// Whether <paramref name="errorCode"/> (bare, without a namespace) means "slow down": the Kinesis, Firehose, KMS
    /// and AWS common throttling codes, and <c>ServiceUnavailable</c>, which the services answer when overloaded. Also
    /// the per-record codes of <c>PutRecords</c> and <c>PutRecordBatch</c>.
    /// </summary>
    public static bool IsThrottling(string? errorCode) => errorCode is
        "ProvisionedThroughputExceededException" or "LimitExceededException" or "ThrottlingException"
        or "Throttling" or "ThrottledException" or "RequestThrottled" or "RequestThrottledException"
        or "TooManyRequestsException" or "RequestLimitExceeded" or "KMSThrottlingException"
        or "ServiceUnavailable" or "ServiceUnavailableException" or "SlowDown";

    /// <summary>Whether an HTTP status alone says to try again later: 429 and every 5xx.</summary>
    public static bool IsTransient(HttpStatusCode statusCode) => statusCode == HttpStatusCode.TooManyRequests || (int)statusCode >= 500;

    /// <summary>Whether <paramref name="exception"/> (or, for a wrapper of AWSSDK's, its cause) is throttling, a server
    /// error or a network failure, so the same request may succeed if sent again.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        AwsServiceException aws => aws.IsRetryable,
        AmazonServiceException sdk =>
            IsTransient(sdk.StatusCode) || IsThrottling(sdk.ErrorCode) || sdk.ErrorCode is "RequestTimeout" or "InternalError"
            || (sdk.InnerException is { } inner && IsNetwork(inner)),
        AmazonClientException { InnerException: { } inner } => IsNetwork(inner),
        _ => IsNetwork(exception),
    };

    private static bool IsNetwork(Exception exception) =>
        exception is HttpRequestException or TimeoutException or TaskCanceledException or IOException or SocketException;
}
