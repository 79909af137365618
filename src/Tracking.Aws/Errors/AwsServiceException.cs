using System.Net;

namespace Tracking.Aws.Errors;

/// <summary>
/// An error answered by an AWS service (or an emulator speaking its protocol). The subclasses name the
/// kinds a caller reacts to differently; anything else arrives as this type with its
/// <see cref="StatusCode"/>, <see cref="ErrorCode"/> and <see cref="RequestId"/>.
/// </summary>
public class AwsServiceException : Exception
{
    /// <summary>Creates an error with a generic message and an unknown error code.</summary>
    public AwsServiceException()
        : this("The AWS service returned an error.")
    {
    }

    /// <summary>Creates an error with the given message and an unknown error code.</summary>
    public AwsServiceException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates an error with the given message, cause and an unknown error code.</summary>
    public AwsServiceException(string message, Exception? innerException)
        : this(message, statusCode: 0, errorCode: "Unknown", requestId: null, innerException)
    {
    }

    /// <summary>Creates an error from what the service answered.</summary>
    /// <param name="message">The service's message, or a description of the failure.</param>
    /// <param name="statusCode">The HTTP status of the response.</param>
    /// <param name="errorCode">The error code without its namespace, e.g. <c>ResourceNotFoundException</c>.</param>
    /// <param name="requestId">The <c>x-amzn-RequestId</c> header, which AWS support asks for.</param>
    /// <param name="innerException">The cause, when the error was not read from a response.</param>
    public AwsServiceException(string message, HttpStatusCode statusCode, string errorCode, string? requestId, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        RequestId = requestId;
    }

    /// <summary>The HTTP status of the response (0 when there was none).</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The service's error code without its namespace, e.g. <c>ProvisionedThroughputExceededException</c>.</summary>
    public string ErrorCode { get; }

    /// <summary>The <c>x-amzn-RequestId</c> of the failed request, when the service sent one.</summary>
    public string? RequestId { get; }

    /// <summary>
    /// Whether sending the same request again may succeed: throttling and server-side (5xx) errors are
    /// retryable, errors in the request itself are not.
    /// </summary>
    public virtual bool IsRetryable => (int)StatusCode >= 500;
}

/// <summary>
/// The service refused the request for lack of capacity: <c>ProvisionedThroughputExceededException</c>,
/// <c>LimitExceededException</c>, <c>ThrottlingException</c>, <c>ServiceUnavailable</c> and the like.
/// Always retryable with back-off.
/// </summary>
public sealed class AwsThrottlingException : AwsServiceException
{
    /// <summary>Creates a throttling error with a generic message.</summary>
    public AwsThrottlingException()
        : this("The AWS service throttled the request.")
    {
    }

    /// <summary>Creates a throttling error with the given message.</summary>
    public AwsThrottlingException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates a throttling error with the given message and cause.</summary>
    public AwsThrottlingException(string message, Exception? innerException)
        : base(message, HttpStatusCode.TooManyRequests, "ThrottlingException", requestId: null, innerException)
    {
    }

    /// <inheritdoc cref="AwsServiceException(string, HttpStatusCode, string, string?, Exception?)"/>
    public AwsThrottlingException(string message, HttpStatusCode statusCode, string errorCode, string? requestId, Exception? innerException = null)
        : base(message, statusCode, errorCode, requestId, innerException)
    {
    }

    /// <inheritdoc/>
    public override bool IsRetryable => true;
}

/// <summary>The stream, shard or delivery stream does not exist (<c>ResourceNotFoundException</c>).</summary>
public sealed class AwsResourceNotFoundException : AwsServiceException
{
    /// <summary>Creates a not-found error with a generic message.</summary>
    public AwsResourceNotFoundException()
        : this("The AWS resource was not found.")
    {
    }

    /// <summary>Creates a not-found error with the given message.</summary>
    public AwsResourceNotFoundException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates a not-found error with the given message and cause.</summary>
    public AwsResourceNotFoundException(string message, Exception? innerException)
        : base(message, HttpStatusCode.BadRequest, "ResourceNotFoundException", requestId: null, innerException)
    {
    }

    /// <inheritdoc cref="AwsServiceException(string, HttpStatusCode, string, string?, Exception?)"/>
    public AwsResourceNotFoundException(string message, HttpStatusCode statusCode, string errorCode, string? requestId, Exception? innerException = null)
        : base(message, statusCode, errorCode, requestId, innerException)
    {
    }

    /// <inheritdoc/>
    public override bool IsRetryable => false;
}

/// <summary>
/// The credentials were refused or lack permission: <c>AccessDeniedException</c>, <c>UnrecognizedClientException</c>,
/// <c>InvalidSignatureException</c>, <c>ExpiredTokenException</c>, <c>KMSAccessDeniedException</c> and the like.
/// </summary>
public sealed class AwsAccessDeniedException : AwsServiceException
{
    /// <summary>Creates an access-denied error with a generic message.</summary>
    public AwsAccessDeniedException()
        : this("The AWS service denied access.")
    {
    }

    /// <summary>Creates an access-denied error with the given message.</summary>
    public AwsAccessDeniedException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates an access-denied error with the given message and cause.</summary>
    public AwsAccessDeniedException(string message, Exception? innerException)
        : base(message, HttpStatusCode.Forbidden, "AccessDeniedException", requestId: null, innerException)
    {
    }

    /// <inheritdoc cref="AwsServiceException(string, HttpStatusCode, string, string?, Exception?)"/>
    public AwsAccessDeniedException(string message, HttpStatusCode statusCode, string errorCode, string? requestId, Exception? innerException = null)
        : base(message, statusCode, errorCode, requestId, innerException)
    {
    }

    /// <inheritdoc/>
    public override bool IsRetryable => false;
}

/// <summary>
/// The request is malformed or breaks a service limit (<c>ValidationException</c>, <c>InvalidArgumentException</c>,
/// <c>SerializationException</c> and the like). Sending it again will fail again.
/// </summary>
public sealed class AwsValidationException : AwsServiceException
{
    /// <summary>Creates a validation error with a generic message.</summary>
    public AwsValidationException()
        : this("The AWS service rejected the request as invalid.")
    {
    }

    /// <summary>Creates a validation error with the given message.</summary>
    public AwsValidationException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates a validation error with the given message and cause.</summary>
    public AwsValidationException(string message, Exception? innerException)
        : base(message, HttpStatusCode.BadRequest, "ValidationException", requestId: null, innerException)
    {
    }

    /// <inheritdoc cref="AwsServiceException(string, HttpStatusCode, string, string?, Exception?)"/>
    public AwsValidationException(string message, HttpStatusCode statusCode, string errorCode, string? requestId, Exception? innerException = null)
        : base(message, statusCode, errorCode, requestId, innerException)
    {
    }

    /// <inheritdoc/>
    public override bool IsRetryable => false;
}

/// <summary>
/// A shard iterator (<c>ExpiredIteratorException</c>, iterators live 5 minutes) or a <c>ListShards</c> pagination
/// token (<c>ExpiredNextTokenException</c>, tokens live 300 seconds) has expired: obtain a new one and continue.
/// </summary>
public sealed class AwsExpiredIteratorException : AwsServiceException
{
    /// <summary>Creates an expired-iterator error with a generic message.</summary>
    public AwsExpiredIteratorException()
        : this("The shard iterator has expired.")
    {
    }

    /// <summary>Creates an expired-iterator error with the given message.</summary>
    public AwsExpiredIteratorException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates an expired-iterator error with the given message and cause.</summary>
    public AwsExpiredIteratorException(string message, Exception? innerException)
        : base(message, HttpStatusCode.BadRequest, "ExpiredIteratorException", requestId: null, innerException)
    {
    }

    /// <inheritdoc cref="AwsServiceException(string, HttpStatusCode, string, string?, Exception?)"/>
    public AwsExpiredIteratorException(string message, HttpStatusCode statusCode, string errorCode, string? requestId, Exception? innerException = null)
        : base(message, statusCode, errorCode, requestId, innerException)
    {
    }

    /// <inheritdoc/>
    public override bool IsRetryable => false;
}

/// <summary>
/// The resource is not in a state that allows the operation (<c>ResourceInUseException</c>): the stream
/// already exists, or is <c>CREATING</c>/<c>UPDATING</c> while a reshard was asked for.
/// </summary>
public sealed class AwsResourceInUseException : AwsServiceException
{
    /// <summary>Creates a resource-in-use error with a generic message.</summary>
    public AwsResourceInUseException()
        : this("The AWS resource is in use.")
    {
    }

    /// <summary>Creates a resource-in-use error with the given message.</summary>
    public AwsResourceInUseException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates a resource-in-use error with the given message and cause.</summary>
    public AwsResourceInUseException(string message, Exception? innerException)
        : base(message, HttpStatusCode.BadRequest, "ResourceInUseException", requestId: null, innerException)
    {
    }

    /// <inheritdoc cref="AwsServiceException(string, HttpStatusCode, string, string?, Exception?)"/>
    public AwsResourceInUseException(string message, HttpStatusCode statusCode, string errorCode, string? requestId, Exception? innerException = null)
        : base(message, statusCode, errorCode, requestId, innerException)
    {
    }

    /// <inheritdoc/>
    public override bool IsRetryable => false;
}
