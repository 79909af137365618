using System.Net.Sockets;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Microsoft.Extensions.Options;
using Tracking.Aws;
using Tracking.Aws.Errors;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery;

/// <summary>
/// What the Kinesis and Firehose sinks share: the checks on region, endpoint, retries and timeout, the region's
/// default from the environment, the HTTP client they sign requests onto, and the plain-words reason an
/// operator reads in <c>/health/ready</c> when a call fails.
/// </summary>
internal static partial class AwsSinkSettings
{
    /// <summary>The region when the sink's own <c>Region</c> setting is empty: <c>AWS_REGION</c>, else <c>AWS_DEFAULT_REGION</c>.</summary>
    public static string? DefaultRegion(IConfiguration configuration) =>
        NonBlank(configuration[AwsClientOptions.RegionVariable]) ?? NonBlank(configuration[AwsClientOptions.DefaultRegionVariable]);

    public static IEnumerable<string> ValidateEndpoint(string section, string? region, Uri? serviceUrl, AwsRetryOptions? retry, TimeSpan requestTimeout)
    {
        if (string.IsNullOrWhiteSpace(region))
        {
            yield return $"No AWS region is configured: set {section}:Region or the {AwsClientOptions.RegionVariable} (or {AwsClientOptions.DefaultRegionVariable}) environment variable.";
        }
        else if (!RegionPattern().IsMatch(region))
        {
            yield return $"{section}:Region (or {AwsClientOptions.RegionVariable}) must be an AWS region such as 'eu-west-1'; it is '{region}'.";
        }

        if (serviceUrl is not null && (!serviceUrl.IsAbsoluteUri || (serviceUrl.Scheme != Uri.UriSchemeHttp && serviceUrl.Scheme != Uri.UriSchemeHttps)))
        {
            yield return $"{section}:ServiceUrl must be an absolute http or https URL such as 'http://localhost:4567'; it is '{serviceUrl}'.";
        }

        if (retry is null)
        {
            yield return $"{section}:Retry must be set.";
        }
        else
        {
            foreach (var error in retry.Validate($"{section}:Retry"))
            {
                yield return error;
            }
        }

        if (requestTimeout <= TimeSpan.Zero || requestTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{section}:RequestTimeout must be more than zero and at most 5 minutes; it is {requestTimeout}.";
        }
    }

    /// <summary>
    /// A named client on a handler that lives as long as the app (the AWS client is a singleton) yet still
    /// reconnects every few minutes so DNS changes of the endpoint are picked up. The factory's per-request
    /// log lines are removed: at thousands of puts a minute they would drown the sink's own messages.
    /// </summary>
    public static IHttpClientBuilder AddAwsHttpClient<TOptions>(this IServiceCollection services, string name, Func<TOptions, TimeSpan> timeout)
        where TOptions : class =>
        services.AddHttpClient(name)
            .ConfigureHttpClient((provider, http) => http.Timeout = timeout(provider.GetRequiredService<IOptions<TOptions>>().Value))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();

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

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [GeneratedRegex("^[a-z]{2}(-[a-z0-9]+)+$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionPattern();
}
