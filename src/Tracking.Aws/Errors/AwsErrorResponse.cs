using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tracking.Aws.Retries;

namespace Tracking.Aws.Errors;

/// <summary>Turns an AWS JSON 1.1 error response into the typed exception a caller can react to.</summary>
internal static class AwsErrorResponse
{
    private enum ErrorKind
    {
        General,
        Throttling,
        NotFound,
        AccessDenied,
        Validation,
        ExpiredIterator,
        ResourceInUse,
    }

    /// <summary>Reads the error code and message from the <c>X-Amzn-ErrorType</c> header or the body, as the
    /// AWS JSON protocol specifies, and builds the matching exception.</summary>
    public static AwsServiceException Read(HttpStatusCode statusCode, string? errorTypeHeader, string? requestId, ReadOnlySpan<byte> body)
    {
        var parsed = TryParseBody(body);
        var code = NormalizeCode(errorTypeHeader) ?? NormalizeCode(parsed?.Type) ?? NormalizeCode(parsed?.Code);
        var message = parsed?.Message ?? parsed?.MessageCapitalized;
        return Create(statusCode, code, message, requestId);
    }

    /// <summary>Builds the exception for an error code; without a code the HTTP status decides.</summary>
    public static AwsServiceException Create(HttpStatusCode statusCode, string? errorCode, string? message, string? requestId)
    {
        var code = errorCode ?? CodeFromStatus(statusCode);
        var status = (int)statusCode;
        var text = string.IsNullOrWhiteSpace(message)
            ? $"{code} (HTTP {status}{RequestIdSuffix(requestId)})"
            : $"{code}: {message} (HTTP {status}{RequestIdSuffix(requestId)})";

        return Classify(code, statusCode) switch
        {
            ErrorKind.Throttling => new AwsThrottlingException(text, statusCode, code, requestId),
            ErrorKind.NotFound => new AwsResourceNotFoundException(text, statusCode, code, requestId),
            ErrorKind.AccessDenied => new AwsAccessDeniedException(text, statusCode, code, requestId),
            ErrorKind.Validation => new AwsValidationException(text, statusCode, code, requestId),
            ErrorKind.ExpiredIterator => new AwsExpiredIteratorException(text, statusCode, code, requestId),
            ErrorKind.ResourceInUse => new AwsResourceInUseException(text, statusCode, code, requestId),
            _ => new AwsServiceException(text, statusCode, code, requestId),
        };
    }

    /// <summary>
    /// Strips what surrounds the bare code: a Smithy namespace before <c>#</c>
    /// (<c>com.amazonaws.kinesis#ResourceNotFoundException</c>) and the URL Coral appends after <c>:</c>
    /// (<c>UnrecognizedClientException:http://internal.amazon.com/coral/...</c>).
    /// </summary>
    public static string? NormalizeCode(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        var code = raw.AsSpan().Trim();
        var colon = code.IndexOf(':');
        if (colon >= 0)
        {
            code = code[..colon];
        }

        var hash = code.LastIndexOf('#');
        if (hash >= 0)
        {
            code = code[(hash + 1)..];
        }

        return code.IsEmpty ? null : code.ToString();
    }

    private static ErrorKind Classify(string code, HttpStatusCode statusCode) => code switch
    {
        // Kinesis, Firehose and the AWS common errors that mean "slow down": retried with back-off.
        _ when TransientErrors.IsThrottling(code) => ErrorKind.Throttling,

        "ResourceNotFoundException" => ErrorKind.NotFound,

        "AccessDeniedException" or "AccessDenied" or "UnrecognizedClientException" or "InvalidSignatureException"
            or "SignatureDoesNotMatch" or "ExpiredTokenException" or "ExpiredToken" or "RequestExpired"
            or "InvalidClientTokenId" or "MissingAuthenticationToken" or "MissingAuthenticationTokenException"
            or "IncompleteSignature" or "IncompleteSignatureException" or "NotAuthorized" or "AuthFailure"
            or "OptInRequired" or "KMSAccessDeniedException" or "KMSOptInRequired" => ErrorKind.AccessDenied,

        "ValidationException" or "ValidationError" or "InvalidArgumentException" or "InvalidParameterException"
            or "InvalidParameterValue" or "InvalidParameterValueException" or "InvalidParameterCombination"
            or "MissingParameter" or "SerializationException" or "InvalidAction" or "UnknownOperationException"
            or "InvalidQueryParameter" or "MalformedQueryString" => ErrorKind.Validation,

        "ExpiredIteratorException" or "ExpiredNextTokenException" => ErrorKind.ExpiredIterator,

        "ResourceInUseException" => ErrorKind.ResourceInUse,

        _ => statusCode switch
        {
            HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable => ErrorKind.Throttling,
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ErrorKind.AccessDenied,
            HttpStatusCode.RequestEntityTooLarge => ErrorKind.Validation,
            _ => ErrorKind.General,
        },
    };

    private static string CodeFromStatus(HttpStatusCode statusCode) => statusCode switch
    {
        HttpStatusCode.TooManyRequests => "TooManyRequestsException",
        HttpStatusCode.ServiceUnavailable => "ServiceUnavailable",
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => "AccessDeniedException",
        HttpStatusCode.RequestEntityTooLarge => "RequestEntityTooLarge",
        _ when (int)statusCode >= 500 => "InternalFailure",
        _ => "Unknown",
    };

    private static string RequestIdSuffix(string? requestId) =>
        string.IsNullOrEmpty(requestId) ? string.Empty : $", request id {requestId}";

    private static AwsErrorBody? TryParseBody(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(body, AwsErrorJsonContext.Default.AwsErrorBody);
        }
        catch (JsonException)
        {
            // A proxy or load balancer may answer with HTML; the status code still classifies it.
            return null;
        }
    }
}

/// <summary>The JSON error body: <c>{"__type": "...", "message": "..."}</c> (some services capitalise <c>Message</c>).</summary>
internal sealed class AwsErrorBody
{
    [JsonPropertyName("__type")]
    public string? Type { get; init; }

    [JsonPropertyName("code")]
    public string? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("Message")]
    public string? MessageCapitalized { get; init; }
}

[JsonSerializable(typeof(AwsErrorBody))]
internal sealed partial class AwsErrorJsonContext : JsonSerializerContext;
