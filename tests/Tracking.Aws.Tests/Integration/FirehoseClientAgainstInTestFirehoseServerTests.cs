using System.Text;
using Tracking.Aws.Errors;
using Tracking.Aws.Firehose;
using Tracking.Testing.Aws;
using Tracking.Testing.Time;

namespace Tracking.Aws.Tests.Integration;

/// <summary>
/// The Firehose client against an in-test HTTP server that speaks Firehose's documented JSON 1.1 protocol:
/// there is no Firehose emulator, so these are the only wire tests of this client.
/// </summary>
public sealed class FirehoseClientAgainstInTestFirehoseServerTests : AgainstScriptedServer
{
    [Fact]
    public async Task PutRecordBatchIsASignedFirehoseRequestAgainstInTestFirehoseServer()
    {
        using var client = TestClients.Firehose(_http, _server.Url, _clock, region: "us-west-2");
        _server.EnqueueJson("""{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[{"RecordId":"r1"}]}""");

        await client.PutRecordBatchAsync(Batch("{\"event\":\"signup\"}\n"));

        var request = Assert.Single(_server.Requests);
        Assert.Equal("Firehose_20150804.PutRecordBatch", request.Target);
        Assert.Equal("application/x-amz-json-1.1", request.Header("Content-Type"));
        Assert.Equal("""{"DeliveryStreamName":"events","Records":[{"Data":"eyJldmVudCI6InNpZ251cCJ9Cg=="}]}""", request.BodyText);
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/firehose/aws4_request, ", request.Header("Authorization"), StringComparison.Ordinal);
        Assert.True(ReferenceSigV4.Verify(request, TestClients.SecretKey));
    }

    [Fact]
    public async Task PartialPutRecordBatchFailuresAreReturnedPerRecordAgainstInTestFirehoseServer()
    {
        using var client = TestClients.Firehose(_http, _server.Url, _clock);
        _server.EnqueueJson("""
            {"FailedPutCount":1,"Encrypted":true,"RequestResponses":[
              {"RecordId":"49543463076548007577105092703039560359975228518395012686"},
              {"ErrorCode":"ServiceUnavailableException","ErrorMessage":"Slow down."},
              {"RecordId":"49543463076548007577105092703039560359975228518395012687"}]}
            """);

        var response = await client.PutRecordBatchAsync(Batch("a\n", "b\n", "c\n"));

        Assert.Equal(1, response.FailedPutCount);
        Assert.True(response.Encrypted);
        Assert.Equal([true, false, true], response.RequestResponses.Select(r => r.Succeeded));
        Assert.Equal("ServiceUnavailableException", response.RequestResponses[1].ErrorCode);
        Assert.Equal("Slow down.", response.RequestResponses[1].ErrorMessage);
        Assert.Equal("49543463076548007577105092703039560359975228518395012687", response.RequestResponses[2].RecordId);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task ServiceUnavailableIsRetriedThenSucceedsAgainstInTestFirehoseServer()
    {
        using var client = TestClients.Firehose(_http, _server.Url, _clock, maxAttempts: 3);
        _server.EnqueueError(500, "ServiceUnavailableException", "Slow down.");
        _server.EnqueueJson("""{"FailedPutCount":0,"RequestResponses":[{"RecordId":"r1"}]}""");

        var response = await client.PutRecordBatchAsync(Batch("a\n"));

        Assert.Equal(0, response.FailedPutCount);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task AMissingDeliveryStreamThrowsNotFoundAgainstInTestFirehoseServer()
    {
        using var client = TestClients.Firehose(_http, _server.Url, _clock);
        _server.EnqueueError(400, "ResourceNotFoundException", "Firehose events under account 111111111111 not found.");

        var exception = await Assert.ThrowsAsync<AwsResourceNotFoundException>(() => client.PutRecordBatchAsync(Batch("a\n")));

        Assert.Contains("not found", exception.Message, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task InvalidArgumentIsAValidationErrorAgainstInTestFirehoseServer()
    {
        using var client = TestClients.Firehose(_http, _server.Url, _clock);
        _server.EnqueueError(400, "InvalidArgumentException", "Records size exceeds limit.");

        await Assert.ThrowsAsync<AwsValidationException>(() => client.PutRecordBatchAsync(Batch("a\n")));
    }

    [Fact]
    public async Task DescribeDeliveryStreamReadsStatusAndTypeAgainstInTestFirehoseServer()
    {
        using var client = TestClients.Firehose(_http, _server.Url, _clock);
        _server.EnqueueJson("""
            {"DeliveryStreamDescription":{"DeliveryStreamName":"events","DeliveryStreamARN":"arn:aws:firehose:eu-west-1:111111111111:deliverystream/events",
             "DeliveryStreamStatus":"ACTIVE","DeliveryStreamType":"DirectPut","VersionId":"3","CreateTimestamp":1440938160.5,
             "Destinations":[{"DestinationId":"destinationId-000000000001","S3DestinationDescription":{"BucketARN":"arn:aws:s3:::b"}}],
             "HasMoreDestinations":false}}
            """);

        var response = await client.DescribeDeliveryStreamAsync(new DescribeDeliveryStreamRequest { DeliveryStreamName = "events" });

        var description = response.DeliveryStreamDescription;
        Assert.Equal(DeliveryStreamStatus.Active, description.DeliveryStreamStatus);
        Assert.Equal("DirectPut", description.DeliveryStreamType);
        Assert.Equal("arn:aws:firehose:eu-west-1:111111111111:deliverystream/events", description.DeliveryStreamArn);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_440_938_160_500), description.CreateTimestamp);
        Assert.Equal("destinationId-000000000001", Assert.Single(description.Destinations).DestinationId);
        Assert.Equal("Firehose_20150804.DescribeDeliveryStream", Assert.Single(_server.Requests).Target);
        Assert.Equal("""{"DeliveryStreamName":"events"}""", _server.Requests[0].BodyText);
    }

    private static PutRecordBatchRequest Batch(params string[] records) => new()
    {
        DeliveryStreamName = "events",
        Records = [.. records.Select(r => new FirehoseRecord { Data = Encoding.UTF8.GetBytes(r) })],
    };
}
