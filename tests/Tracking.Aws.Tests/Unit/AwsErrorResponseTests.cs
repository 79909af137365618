using System.Net;
using System.Text;
using Tracking.Aws.Errors;

namespace Tracking.Aws.Tests.Unit;

public class AwsErrorResponseTests
{
    [Theory]
    [InlineData("ResourceNotFoundException", "ResourceNotFoundException")]
    [InlineData("com.amazonaws.kinesis#ResourceNotFoundException", "ResourceNotFoundException")]
    [InlineData("com.amazonaws.kinesis.v20131202#ProvisionedThroughputExceededException", "ProvisionedThroughputExceededException")]
    [InlineData("UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/", "UnrecognizedClientException")]
    [InlineData("  ValidationException  ", "ValidationException")]
    public void ErrorCodesLoseTheirNamespaceAndCoralSuffix(string raw, string expected)
    {
        Assert.Equal(expected, AwsErrorResponse.NormalizeCode(raw));
    }

    [Fact]
    public void MessageIsReadWhetherLowercaseOrCapitalised()
    {
        var lower = Read(HttpStatusCode.BadRequest, """{"__type":"ValidationException","message":"lower"}""");
        var upper = Read(HttpStatusCode.BadRequest, """{"__type":"ValidationException","Message":"upper"}""");

        Assert.Contains("lower", lower.Message, StringComparison.Ordinal);
        Assert.Contains("upper", upper.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorTypeHeaderWinsOverTheBody()
    {
        var error = AwsErrorResponse.Read(
            HttpStatusCode.BadRequest,
            "ExpiredIteratorException:http://internal.amazon.com/coral/",
            "req-1",
            Encoding.UTF8.GetBytes("""{"__type":"ValidationException","message":"m"}"""));

        Assert.IsType<AwsExpiredIteratorException>(error);
        Assert.Equal("ExpiredIteratorException", error.ErrorCode);
    }

    [Fact]
    public void ABodyThatIsNotJsonIsClassifiedByItsStatus()
    {
        var error = Read(HttpStatusCode.ServiceUnavailable, "<html>Service Unavailable</html>");

        Assert.IsType<AwsThrottlingException>(error);
        Assert.Equal("ServiceUnavailable", error.ErrorCode);
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public void AnEmptyServerErrorIsAGeneralRetryableError()
    {
        var error = Read(HttpStatusCode.InternalServerError, string.Empty);

        Assert.IsType<AwsServiceException>(error);
        Assert.Equal("InternalFailure", error.ErrorCode);
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public void AnUnknownClientErrorIsAGeneralErrorThatIsNotRetried()
    {
        var error = Read(HttpStatusCode.BadRequest, """{"__type":"BrandNewException","message":"new"}""");

        Assert.IsType<AwsServiceException>(error);
        Assert.Equal("BrandNewException", error.ErrorCode);
        Assert.False(error.IsRetryable);
    }

    [Fact]
    public void TheMessageNamesCodeStatusAndRequestId()
    {
        var error = AwsErrorResponse.Read(HttpStatusCode.BadRequest, null, "abc-123", Encoding.UTF8.GetBytes("""{"__type":"ResourceNotFoundException","message":"Stream s not found"}"""));

        Assert.Equal("ResourceNotFoundException: Stream s not found (HTTP 400, request id abc-123)", error.Message);
        Assert.Equal("abc-123", error.RequestId);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
    }

    private static AwsServiceException Read(HttpStatusCode status, string body) =>
        AwsErrorResponse.Read(status, errorTypeHeader: null, requestId: null, Encoding.UTF8.GetBytes(body));
}
