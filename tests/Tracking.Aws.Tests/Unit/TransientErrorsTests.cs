using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Tracking.Aws.Errors;
using Tracking.Aws.Retries;

namespace Tracking.Aws.Tests.Unit;

public class TransientErrorsTests
{
    public static TheoryData<string, Exception, bool> Errors() => new()
    {
        { "Kinesis throttling", AwsErrorResponse.Create(HttpStatusCode.BadRequest, "ProvisionedThroughputExceededException", null, null), true },
        { "KMS throttling", AwsErrorResponse.Create(HttpStatusCode.BadRequest, "KMSThrottlingException", null, null), true },
        { "Firehose overloaded", AwsErrorResponse.Create(HttpStatusCode.BadRequest, "ServiceUnavailableException", null, null), true },
        { "a bare 429", AwsErrorResponse.Create(HttpStatusCode.TooManyRequests, null, null, null), true },
        { "a 500", AwsErrorResponse.Create(HttpStatusCode.InternalServerError, "InternalFailure", null, null), true },
        { "a 502 from a proxy", AwsErrorResponse.Create(HttpStatusCode.BadGateway, null, null, null), true },
        { "a validation error", AwsErrorResponse.Create(HttpStatusCode.BadRequest, "ValidationException", null, null), false },
        { "a missing stream", AwsErrorResponse.Create(HttpStatusCode.BadRequest, "ResourceNotFoundException", null, null), false },
        { "refused credentials", AwsErrorResponse.Create(HttpStatusCode.BadRequest, "UnrecognizedClientException", null, null), false },
        { "an expired iterator", AwsErrorResponse.Create(HttpStatusCode.BadRequest, "ExpiredIteratorException", null, null), false },
        { "a refused connection", new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused)), true },
        { "a reset mid-response", new IOException("reset"), true },
        { "a socket error", new SocketException((int)SocketError.ConnectionReset), true },
        { "HttpClient's timeout", new TaskCanceledException("timeout"), true },
        { "a timeout", new TimeoutException(), true },
        { "S3 slowing down", new AmazonS3Exception("slow", ErrorType.Receiver, "SlowDown", "id", HttpStatusCode.ServiceUnavailable), true },
        { "S3 throttling with a 400", new AmazonS3Exception("slow", ErrorType.Sender, "RequestTimeout", "id", HttpStatusCode.BadRequest), true },
        { "S3 internal error", new AmazonS3Exception("oops", ErrorType.Receiver, "InternalError", "id", HttpStatusCode.InternalServerError), true },
        { "S3 access denied", new AmazonS3Exception("no", ErrorType.Sender, "AccessDenied", "id", HttpStatusCode.Forbidden), false },
        { "S3 missing bucket", new AmazonS3Exception("no", ErrorType.Sender, "NoSuchBucket", "id", HttpStatusCode.NotFound), false },
        { "the SDK losing the network", new AmazonClientException("lost", new HttpRequestException("reset")), true },
        { "the SDK misconfigured", new AmazonClientException("no region"), false },
        { "a bug", new InvalidOperationException(), false },
        { "bad data", new FormatException(), false },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void TransientErrorsAreThrottlingServerErrorsAndTheNetworkOnly(string what, Exception exception, bool transient)
    {
        Assert.True(TransientErrors.IsTransient(exception) == transient, $"{what}: expected {(transient ? "transient" : "not transient")}");
    }

    [Theory]
    [InlineData("ProvisionedThroughputExceededException", true)]
    [InlineData("KMSThrottlingException", true)]
    [InlineData("ServiceUnavailableException", true)]
    [InlineData("ThrottlingException", true)]
    [InlineData("SlowDown", true)]
    [InlineData("InternalFailure", false)]
    [InlineData("KMSAccessDeniedException", false)]
    [InlineData(null, false)]
    public void PerRecordErrorCodesAreThrottlingOnlyWhenTheyMeanSlowDown(string? code, bool throttling)
    {
        Assert.Equal(throttling, TransientErrors.IsThrottling(code));
    }

    [Fact]
    public void EveryThrottlingCodeBecomesAThrottlingException()
    {
        Assert.IsType<AwsThrottlingException>(AwsErrorResponse.Create(HttpStatusCode.BadRequest, "RequestLimitExceeded", null, null));
    }
}
