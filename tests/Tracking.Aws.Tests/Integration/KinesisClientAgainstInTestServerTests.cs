using System.Net;
using System.Text;
using Amazon.Runtime;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;
using Tracking.Testing;
using Tracking.Testing.Aws;
using Tracking.Testing.Time;

namespace Tracking.Aws.Tests.Integration;

/// <summary>The Kinesis client against a real HTTP server on 127.0.0.1 that plays scripted AWS answers.</summary>
public sealed class KinesisClientAgainstInTestServerTests : AgainstScriptedServer
{
    private const string ActiveSummary = """
        {"StreamDescriptionSummary":{"StreamName":"events","StreamARN":"arn:aws:kinesis:eu-west-1:111111111111:stream/events",
         "StreamStatus":"ACTIVE","StreamModeDetails":{"StreamMode":"PROVISIONED"},"RetentionPeriodHours":24,
         "StreamCreationTimestamp":1.440938160E9,"OpenShardCount":2,"ConsumerCount":0,"EncryptionType":"NONE"}}
        """;

    [Fact]
    public async Task PutRecordsIsASignedJson11PostToTheServiceRoot()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock);
        _server.EnqueueJson("""{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"}]}""");

        await client.PutRecordsAsync(OneRecord("hello", "user-1"));

        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/", request.Path);
        Assert.Equal("application/x-amz-json-1.1", request.Header("Content-Type"));
        Assert.Equal("Kinesis_20131202.PutRecords", request.Target);
        Assert.Equal("""{"StreamName":"events","Records":[{"Data":"aGVsbG8=","PartitionKey":"user-1"}]}""", request.BodyText);
    }

    [Fact]
    public async Task SignedKinesisRequestCarriesTheKinesisCredentialScopeAndAmzDate()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock, region: "eu-west-1");
        _server.EnqueueJson(ActiveSummary);

        await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "events" });

        var request = Assert.Single(_server.Requests);
        Assert.StartsWith(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=",
            request.Header("Authorization"),
            StringComparison.Ordinal);
        Assert.Equal("20150830T123600Z", request.Header("X-Amz-Date"));
        Assert.Null(request.Header("X-Amz-Security-Token"));
        Assert.True(ReferenceSigV4.Verify(request, TestClients.SecretKey), "the request on the wire must verify against its signature");
    }

    [Fact]
    public async Task TemporaryCredentialsSendAndSignTheSecurityToken()
    {
        var credentials = new SessionAWSCredentials(TestClients.AccessKey, TestClients.SecretKey, "session-token-value");
        using var client = TestClients.Kinesis(_http, _server.Url, _clock, credentials: credentials, region: "ap-southeast-2");
        _server.EnqueueJson("""{"ShardIterator":"AAA"}""");

        await client.GetShardIteratorAsync(new GetShardIteratorRequest { StreamName = "events", ShardId = "shardId-000000000000", ShardIteratorType = ShardIteratorType.TrimHorizon });

        var request = Assert.Single(_server.Requests);
        Assert.Equal("session-token-value", request.Header("X-Amz-Security-Token"));
        Assert.Contains("/20150830/ap-southeast-2/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,", request.Header("Authorization"), StringComparison.Ordinal);
        Assert.True(ReferenceSigV4.Verify(request, TestClients.SecretKey));
    }

    [Theory]
    [InlineData(400, "ProvisionedThroughputExceededException", typeof(AwsThrottlingException))]
    [InlineData(400, "LimitExceededException", typeof(AwsThrottlingException))]
    [InlineData(400, "ThrottlingException", typeof(AwsThrottlingException))]
    [InlineData(503, "ServiceUnavailable", typeof(AwsThrottlingException))]
    [InlineData(400, "ResourceNotFoundException", typeof(AwsResourceNotFoundException))]
    [InlineData(400, "com.amazonaws.kinesis#ResourceNotFoundException", typeof(AwsResourceNotFoundException))]
    [InlineData(400, "AccessDeniedException", typeof(AwsAccessDeniedException))]
    [InlineData(400, "UnrecognizedClientException", typeof(AwsAccessDeniedException))]
    [InlineData(403, "InvalidSignatureException", typeof(AwsAccessDeniedException))]
    [InlineData(400, "ExpiredTokenException", typeof(AwsAccessDeniedException))]
    [InlineData(400, "KMSAccessDeniedException", typeof(AwsAccessDeniedException))]
    [InlineData(400, "ValidationException", typeof(AwsValidationException))]
    [InlineData(400, "InvalidArgumentException", typeof(AwsValidationException))]
    [InlineData(400, "ExpiredIteratorException", typeof(AwsExpiredIteratorException))]
    [InlineData(400, "ExpiredNextTokenException", typeof(AwsExpiredIteratorException))]
    [InlineData(400, "ResourceInUseException", typeof(AwsResourceInUseException))]
    [InlineData(500, "InternalFailure", typeof(AwsServiceException))]
    [InlineData(400, "SomeFutureException", typeof(AwsServiceException))]
    public async Task ErrorBodiesBecomeTypedExceptions(int status, string type, Type expected)
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock, maxAttempts: 1);
        _server.Enqueue(new ScriptedResponse(
            status,
            $$"""{"__type":"{{type}}","message":"scripted {{type}}"}""",
            new Dictionary<string, string> { ["x-amzn-RequestId"] = "req-42" }));

        var exception = await Assert.ThrowsAnyAsync<AwsServiceException>(() => client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "events" }));

        Assert.IsType(expected, exception);
        Assert.Equal(type[(type.LastIndexOf('#') + 1)..], exception.ErrorCode);
        Assert.Equal((HttpStatusCode)status, exception.StatusCode);
        Assert.Equal("req-42", exception.RequestId);
        Assert.Contains($"scripted {type}", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThrottledPutRecordsIsRetriedThenSucceeds()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock, maxAttempts: 3);
        _server.EnqueueError(400, "ProvisionedThroughputExceededException", "Rate exceeded for stream events");
        _server.EnqueueError(400, "ProvisionedThroughputExceededException", "Rate exceeded for stream events");
        _server.EnqueueJson("""{"FailedRecordCount":0,"Records":[{"SequenceNumber":"7","ShardId":"shardId-000000000001"}]}""");

        var response = await client.PutRecordsAsync(OneRecord("x", "k"));

        Assert.Equal("7", Assert.Single(response.Records).SequenceNumber);
        Assert.Equal(3, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.Equal(_server.Requests[0].BodyText, r.BodyText));
    }

    [Fact]
    public async Task ServerErrorsAreRetriedThenSucceed()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock, maxAttempts: 3);
        _server.EnqueueError(500, "InternalFailure");
        _server.Enqueue(new ScriptedResponse(503, string.Empty));
        _server.EnqueueJson(ActiveSummary);

        var response = await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "events" });

        Assert.Equal(StreamStatus.Active, response.StreamDescriptionSummary.StreamStatus);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task TheRetryPolicyIsReadOnceSoLaterChangesDoNotReachTheClient()
    {
        var settings = new AwsClientSettings { Region = "eu-west-1", ServiceUrl = _server.Url, Retry = TestClients.Retry(3) };
        using var client = new KinesisClient(_http, settings, new BasicAWSCredentials(TestClients.AccessKey, TestClients.SecretKey), _clock);
        settings.Retry.MaxAttempts = 1;
        _server.EnqueueError(500, "InternalFailure");
        _server.EnqueueError(500, "InternalFailure");
        _server.EnqueueJson(ActiveSummary);

        await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "events" });

        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task ADroppedConnectionIsRetriedThenSucceeds()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock, maxAttempts: 2);
        _server.EnqueueConnectionDrop();
        _server.EnqueueJson("""{"ShardIterator":"AAA"}""");

        var response = await client.GetShardIteratorAsync(new GetShardIteratorRequest { StreamName = "events", ShardId = "shardId-000000000000", ShardIteratorType = ShardIteratorType.Latest });

        Assert.Equal("AAA", response.ShardIterator);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task RetriesGiveUpAfterMaxAttemptsWithTheTypedException()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock, maxAttempts: 4);
        for (var i = 0; i < 5; i++)
        {
            _server.EnqueueError(400, "ProvisionedThroughputExceededException");
        }

        var exception = await Assert.ThrowsAsync<AwsThrottlingException>(() => client.PutRecordsAsync(OneRecord("x", "k")));

        Assert.Equal("ProvisionedThroughputExceededException", exception.ErrorCode);
        Assert.Equal(4, _server.Requests.Count);
    }

    [Fact]
    public async Task BackoffDelaysStayUnderTheDoublingCeilingAndMaxDelay()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock, maxAttempts: 6);
        for (var i = 0; i < 6; i++)
        {
            _server.EnqueueError(400, "ThrottlingException");
        }

        await Assert.ThrowsAsync<AwsThrottlingException>(() => client.ListShardsAsync(new ListShardsRequest { StreamName = "events" }));

        // Ceilings 100, 200, 400, 800 ms then capped at MaxDelay = 1 s; a zero draw schedules no timer at all.
        Assert.InRange(_clock.ScheduledDelays.Count, 1, 5);
        Assert.All(_clock.ScheduledDelays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.Equal(6, _server.Requests.Count);
    }

    [Fact]
    public async Task RequestErrorsAreNotRetried()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock, maxAttempts: 5);
        _server.EnqueueError(400, "ValidationException", "1 validation error detected");

        await Assert.ThrowsAsync<AwsValidationException>(() => client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "events" }));

        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task CancellingDuringBackoffStopsWithoutAnotherAttempt()
    {
        var clock = new FakeClock(TestClients.SuiteTime);
        using var client = TestClients.Kinesis(_http, _server.Url, clock, maxAttempts: 5);
        for (var i = 0; i < 5; i++)
        {
            _server.EnqueueError(400, "ProvisionedThroughputExceededException");
        }

        using var cancellation = new CancellationTokenSource();

        // A jittered delay under 1 ms retries at once without a timer, so wait for the first real back-off.
        var call = client.PutRecordsAsync(OneRecord("x", "k"), cancellation.Token);
        await Eventually.TrueAsync(() => clock.PendingTimerCount == 1, "the client waits out its first back-off", TimeSpan.FromSeconds(10));
        var attemptsBeforeCancel = _server.Requests.Count;
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(attemptsBeforeCancel, _server.Requests.Count);
        Assert.InRange(attemptsBeforeCancel, 1, 4);
    }

    [Fact]
    public async Task PartialPutRecordsFailuresAreReturnedPerRecordNotThrown()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock);
        _server.EnqueueJson("""
            {"FailedRecordCount":2,"Records":[
              {"SequenceNumber":"49543463076548007577105092703039560359975228518395019266","ShardId":"shardId-000000000000"},
              {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded for shard shardId-000000000001 in stream events under account 111111111111."},
              {"ErrorCode":"InternalFailure","ErrorMessage":"Internal service failure."}],
             "EncryptionType":"NONE"}
            """);
        var request = new PutRecordsRequest
        {
            StreamName = "events",
            Records = [Entry("a", "u1"), Entry("b", "u2"), Entry("c", "u3")],
        };

        var response = await client.PutRecordsAsync(request);

        Assert.Equal(2, response.FailedRecordCount);
        Assert.Collection(
            response.Records,
            r =>
            {
                Assert.True(r.Succeeded);
                Assert.Equal("shardId-000000000000", r.ShardId);
                Assert.Equal("49543463076548007577105092703039560359975228518395019266", r.SequenceNumber);
            },
            r =>
            {
                Assert.False(r.Succeeded);
                Assert.Equal("ProvisionedThroughputExceededException", r.ErrorCode);
                Assert.Contains("Rate exceeded", r.ErrorMessage, StringComparison.Ordinal);
            },
            r => Assert.Equal("InternalFailure", r.ErrorCode));
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task FiveHundredRecordsWith256CharacterKeysAreAccepted()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock);
        var request = new PutRecordsRequest
        {
            StreamName = "events",
            Records = [.. Enumerable.Range(0, KinesisLimits.MaxRecordsPerPutRecords).Select(i => Entry($"{i}", new string('k', KinesisLimits.MaxPartitionKeyLength)))],
        };

        await client.PutRecordsAsync(request);

        Assert.Equal(500, Assert.Single(_server.Requests).Json.GetProperty("Records").GetArrayLength());
    }

    [Fact]
    public async Task ListAllShardsFollowsNextTokenWithoutRepeatingTheStreamName()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock);
        _server.EnqueueJson("""{"Shards":[{"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"1"},"SequenceNumberRange":{"StartingSequenceNumber":"1"}}],"NextToken":"page-2"}""");
        _server.EnqueueJson("""{"Shards":[{"ShardId":"shardId-000000000001","ParentShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"2","EndingHashKey":"3"},"SequenceNumberRange":{"StartingSequenceNumber":"2","EndingSequenceNumber":"9"}}]}""");

        var shards = await client.ListAllShardsAsync("events", pageSize: 1);

        Assert.Equal(["shardId-000000000000", "shardId-000000000001"], shards.Select(s => s.ShardId));
        Assert.Equal("shardId-000000000000", shards[1].ParentShardId);
        Assert.Equal("9", shards[1].SequenceNumberRange.EndingSequenceNumber);
        Assert.Equal("""{"StreamName":"events","MaxResults":1}""", _server.Requests[0].BodyText);
        Assert.Equal("""{"NextToken":"page-2","MaxResults":1}""", _server.Requests[1].BodyText);
    }

    [Fact]
    public async Task GetRecordsReadsDataAndArrivalTimestamps()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock);
        _server.EnqueueJson("""{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1440938160.123,"Data":"eyJ0eXBlIjoidHJhY2sifQo=","PartitionKey":"u1"}],"NextShardIterator":"next","MillisBehindLatest":0}""");

        var response = await client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = "it", Limit = 100 });

        var record = Assert.Single(response.Records);
        Assert.Equal("{\"type\":\"track\"}\n", Encoding.UTF8.GetString(record.Data.Span));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_440_938_160_123), record.ApproximateArrivalTimestamp);
        Assert.Equal("""{"ShardIterator":"it","Limit":100}""", Assert.Single(_server.Requests).BodyText);
    }

    [Fact]
    public async Task DescribeStreamSummaryReadsStatusShardCountAndCreationTime()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock);
        _server.EnqueueJson(ActiveSummary);

        var summary = (await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = "events" })).StreamDescriptionSummary;

        Assert.Equal("events", summary.StreamName);
        Assert.Equal("arn:aws:kinesis:eu-west-1:111111111111:stream/events", summary.StreamArn);
        Assert.Equal(2, summary.OpenShardCount);
        Assert.Equal(24, summary.RetentionPeriodHours);
        Assert.Equal(StreamMode.Provisioned, summary.StreamModeDetails?.StreamMode);
        Assert.Equal(TestClients.SuiteTime, summary.StreamCreationTimestamp);
    }

    [Fact]
    public async Task WaitingForActiveGivesUpWithATimeoutWhileTheStreamStaysCreating()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock);
        for (var i = 0; i < 3; i++)
        {
            _server.EnqueueJson("""{"StreamDescriptionSummary":{"StreamName":"events","StreamStatus":"CREATING","OpenShardCount":0}}""");
        }

        var exception = await Assert.ThrowsAsync<TimeoutException>(
            () => client.WaitForStreamActiveAsync("events", TimeSpan.FromSeconds(1), pollInterval: TimeSpan.FromMilliseconds(500), timeProvider: _clock));

        Assert.Contains("CREATING", exception.Message, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task AMalformedSuccessBodyIsReportedAsAServiceError()
    {
        using var client = TestClients.Kinesis(_http, _server.Url, _clock);
        _server.EnqueueJson("not json");

        var exception = await Assert.ThrowsAsync<AwsServiceException>(() => client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = "it" }));

        Assert.Equal("MalformedResponse", exception.ErrorCode);
    }

    private static PutRecordsRequest OneRecord(string data, string partitionKey) => new()
    {
        StreamName = "events",
        Records = [Entry(data, partitionKey)],
    };

    private static PutRecordsRequestEntry Entry(string data, string partitionKey) =>
        new() { Data = Encoding.UTF8.GetBytes(data), PartitionKey = partitionKey };
}
