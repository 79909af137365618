using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amazon.Runtime;
using Tracking.Aws.Errors;
using Tracking.Aws.Retries;
using Tracking.Aws.Signing;
using RetryPolicy = Tracking.Aws.Retries.RetryPolicy;

namespace Tracking.Aws.Protocol;

/// <summary>
/// The AWS JSON 1.1 protocol: every operation is a signed <c>POST /</c> with
/// <c>Content-Type: application/x-amz-json-1.1</c> and <c>X-Amz-Target: {prefix}.{operation}</c>. Retries
/// throttling, 5xx and transient network failures with jittered back-off; turns error responses into typed exceptions.
/// </summary>
internal sealed class AwsJsonTransport : IDisposable
{
    internal const string JsonContentType = "application/x-amz-json-1.1";
    private const string RequestIdHeader = "x-amzn-RequestId";
    private const string ErrorTypeHeader = "X-Amzn-ErrorType";

    private readonly HttpClient _httpClient;
    private readonly AwsServiceDescription _service;
    private readonly RetryPolicy _retry;
    private readonly TimeProvider _timeProvider;
    private readonly AwsCredentialsSource _credentials;
    private readonly string _resourcePath;

    public AwsJsonTransport(
        HttpClient httpClient,
        AwsClientSettings settings,
        string settingsName,
        AwsServiceDescription service,
        AWSCredentials? credentials,
        TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(settings);
        settings.ThrowIfInvalid(settingsName);

        _httpClient = httpClient;
        _service = service;
        Region = settings.ResolveRegion(settingsName, Environment.GetEnvironmentVariable);
        Endpoint = settings.ResolveEndpoint(service.EndpointPrefix, Region);

        // The SDK's canonicaliser appends the resource path to the endpoint's own path.
        _resourcePath = Endpoint.AbsolutePath == "/" ? "/" : string.Empty;

        // A snapshot, so changing the settings object later cannot change a running client.
        _retry = settings.Retry.ToPolicy();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _credentials = new AwsCredentialsSource(credentials);
    }

    /// <summary>The region requests are signed for.</summary>
    public string Region { get; }

    /// <summary>The URL requests are sent to.</summary>
    public Uri Endpoint { get; }

    public async Task<TResponse> SendAsync<TRequest, TResponse>(
        string operation,
        TRequest request,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        var (body, requestId) = await SendWithRetriesAsync(operation, payload, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(body, responseType)
                ?? throw new JsonException("The response body was empty or null.");
        }
        catch (JsonException exception)
        {
            throw new AwsServiceException(
                $"The {operation} response could not be read: {exception.Message}",
                HttpStatusCode.OK,
                "MalformedResponse",
                requestId,
                exception);
        }
    }

    public async Task SendAsync<TRequest>(
        string operation,
        TRequest request,
        JsonTypeInfo<TRequest> requestType,
        CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        await SendWithRetriesAsync(operation, payload, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _credentials.Dispose();

    private async Task<(byte[] Body, string? RequestId)> SendWithRetriesAsync(string operation, byte[] payload, CancellationToken cancellationToken)
    {
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(payload));
        var target = $"{_service.TargetPrefix}.{operation}";

        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // Signed afresh on each attempt: the signature embeds the time and expires after 15 minutes.
                using var message = await CreateSignedRequestAsync(target, payload, payloadHash, cancellationToken).ConfigureAwait(false);
                using var response = await _httpClient.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                var requestId = FirstHeaderValue(response, RequestIdHeader);
                if (response.IsSuccessStatusCode)
                {
                    return (body, requestId);
                }

                var error = AwsErrorResponse.Read(response.StatusCode, FirstHeaderValue(response, ErrorTypeHeader), requestId, body);
                if (!TransientErrors.IsTransient(error) || !_retry.AllowsRetryAfter(attempt))
                {
                    throw error;
                }
            }
            catch (Exception exception) when (exception is not AwsServiceException
                && !cancellationToken.IsCancellationRequested && TransientErrors.IsTransient(exception) && _retry.AllowsRetryAfter(attempt))
            {
                // Connection refused, reset or closed mid-response, or HttpClient.Timeout elapsed (not the caller's
                // token): transient until the attempts run out.
            }

            await Task.Delay(_retry.Delay(attempt), _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<HttpRequestMessage> CreateSignedRequestAsync(string target, byte[] payload, string payloadHash, CancellationToken cancellationToken)
    {
        var credentials = await _credentials.GetAsync(cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = JsonContentType,
            ["X-Amz-Target"] = target,
        };
        var authorization = SigV4Signer.Sign(
            HttpMethod.Post.Method,
            Endpoint,
            _resourcePath,
            headers,
            payloadHash,
            credentials,
            Region,
            _service.SigningName,
            _timeProvider.GetUtcNow().UtcDateTime);

        var message = new HttpRequestMessage(HttpMethod.Post, Endpoint)
        {
            Content = new ByteArrayContent(payload),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(JsonContentType);
        foreach (var (name, value) in headers)
        {
            // HttpClient writes Host from the URL and Content-Type from the content, exactly as signed.
            if (!name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && !name.Equals("host", StringComparison.OrdinalIgnoreCase))
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }

        message.Headers.TryAddWithoutValidation("Authorization", authorization);
        return message;
    }

    private static string? FirstHeaderValue(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
