using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Api.Delivery.Firehose;
using Tracking.Api.Telemetry;
using Tracking.Api.Tests.Integration;
using Tracking.Aws.Errors;
using Tracking.Aws.Firehose;
using Tracking.Testing.Time;

namespace Tracking.Api.Tests.Unit;

/// <summary>The Firehose sink against a fake client: record framing, request limits, partial failures.</summary>
public sealed class FirehoseSinkTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeFirehose _firehose = new();
    private readonly ApiMetrics _metrics;
    private readonly FirehoseSink _sink;

    public FirehoseSinkTests()
    {
        _metrics = new ApiMetrics(_services);
        _sink = new FirehoseSink(
            _firehose,
            Options.Create(new FirehoseSinkOptions { DeliveryStreamName = "events-to-s3" }),
            new TrackingMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new EventQueue(Options.Create(new QueueOptions()), TimeProvider.System)),
            new FakeClock(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero)));
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _services.Dispose();
    }

    private static List<EnrichedEvent> Events(int count, int size = 0) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            var json = $"{{\"id\":\"e{i}\",\"pad\":\"{new string('x', Math.Max(0, size - 20))}\"}}";
            return new EnrichedEvent(Encoding.UTF8.GetBytes(json), $"e{i}", "k");
        })];

    [Fact]
    public async Task EachRecordIsTheEventsJsonFollowedByOneNewline()
    {
        var events = Events(3);

        Assert.Equal(DeliveryResult.Delivered, await _sink.DeliverAsync(events, CancellationToken.None));

        var request = Assert.Single(_firehose.Calls);
        Assert.Equal("events-to-s3", request.DeliveryStreamName);
        Assert.Equal(events.Select(e => Encoding.UTF8.GetString(e.Json) + "\n"), request.Records.Select(r => Encoding.UTF8.GetString(r.Data.Span)));
    }

    [Fact]
    public void ABatchIsCutAtFiveHundredRecordsAndAtFourMiBCountingTheNewlines()
    {
        Assert.Equal([(0, 500), (500, 1)], FirehoseSink.Split(Events(501)));

        // Four records of 1 MiB - 1 with their newlines fill 4 MiB exactly; one byte more each and the last needs its own request.
        Assert.Equal([(0, 4)], FirehoseSink.Split(Events(4, size: 1024 * 1024 - 1)));
        Assert.Equal([(0, 3), (3, 1)], FirehoseSink.Split(Events(4, size: 1024 * 1024)));
        Assert.Empty(FirehoseSink.Split([]));
    }

    [Fact]
    public async Task ABatchOverTheRequestLimitsGoesOutAsSeveralRequests()
    {
        Assert.Equal(DeliveryResult.Delivered, await _sink.DeliverAsync(Events(700), CancellationToken.None));

        Assert.Equal([200, 500], _firehose.Calls.Select(c => c.Records.Count).Order());
    }

    [Fact]
    public async Task OnlyTheRecordsFailedPutCountNamesAreReturnedWithTheReason()
    {
        _firehose.Answer = request => new PutRecordBatchResponse
        {
            FailedPutCount = 2,
            RequestResponses = [.. request.Records.Select((_, i) => i switch
            {
                1 => new PutRecordBatchResponseEntry { ErrorCode = "ServiceUnavailableException", ErrorMessage = "Slow down." },
                3 => new PutRecordBatchResponseEntry { ErrorCode = "InternalFailure", ErrorMessage = "Internal service failure." },
                _ => new PutRecordBatchResponseEntry { RecordId = $"r{i}" },
            })],
        };

        var result = await _sink.DeliverAsync(Events(5), CancellationToken.None);

        Assert.Equal(["e1", "e3"], result.Failed.Select(e => e.MessageId));
        Assert.Equal("Firehose stream 'events-to-s3' refused 2 of 5 records (ServiceUnavailableException: Slow down.)", result.FailureReason);
        Assert.Equal(1, _metrics.Sum("tracking.sink.throttled"));
    }

    [Fact]
    public async Task ARequestThatFailsReturnsAllItsRecordsAndCountsThrottling()
    {
        _firehose.Answer = _ => throw new AwsThrottlingException("ServiceUnavailableException: Slow down. (HTTP 400)", System.Net.HttpStatusCode.BadRequest, "ServiceUnavailableException", null);

        var result = await _sink.DeliverAsync(Events(4), CancellationToken.None);

        Assert.Equal(4, result.Failed.Count);
        Assert.Equal("Firehose stream 'events-to-s3' is throttling requests (ServiceUnavailableException: Slow down. (HTTP 400))", result.FailureReason);
        Assert.Equal(4, _metrics.Sum("tracking.sink.throttled"));
    }

    [Fact]
    public async Task AnAnswerWithoutPerRecordResultsButNoFailuresCountsAsDelivered()
    {
        _firehose.Answer = _ => new PutRecordBatchResponse { FailedPutCount = 0 };
        Assert.Equal(DeliveryResult.Delivered, await _sink.DeliverAsync(Events(2), CancellationToken.None));

        _firehose.Answer = _ => new PutRecordBatchResponse { FailedPutCount = 1 };
        Assert.Equal(2, (await _sink.DeliverAsync(Events(2), CancellationToken.None)).Failed.Count);
    }

    [Fact]
    public async Task ARequestThatThrowsFailsOnlyItsOwnRecordsNotThoseOfTheRequestsThatWereWritten()
    {
        // 501 events make two requests; the second fails in a way no AWS error describes (a credential refresh, say).
        _firehose.Answer = request => request.Records.Count == 1
            ? throw new InvalidOperationException("Failed to resolve AWS credentials")
            : new PutRecordBatchResponse { RequestResponses = [.. request.Records.Select((_, i) => new PutRecordBatchResponseEntry { RecordId = $"r{i}" })] };
        var events = Events(501);

        var result = await _sink.DeliverAsync(events, CancellationToken.None);

        Assert.Equal([events[500].MessageId], result.Failed.Select(e => e.MessageId));
        Assert.Contains("Failed to resolve AWS credentials", result.FailureReason, StringComparison.Ordinal);
    }

    private sealed class FakeFirehose : IFirehoseClient
    {
        public Uri Endpoint { get; } = new("http://127.0.0.1:1/");

        public Func<PutRecordBatchRequest, PutRecordBatchResponse> Answer { get; set; } = request => new PutRecordBatchResponse
        {
            RequestResponses = [.. request.Records.Select((_, i) => new PutRecordBatchResponseEntry { RecordId = $"r{i}" })],
        };

        public ConcurrentQueue<PutRecordBatchRequest> Calls { get; } = new();

        public async Task<PutRecordBatchResponse> PutRecordBatchAsync(PutRecordBatchRequest request, CancellationToken cancellationToken = default)
        {
            Calls.Enqueue(request);
            await Task.Yield();
            return Answer(request);
        }

        public Task<DescribeDeliveryStreamResponse> DescribeDeliveryStreamAsync(DescribeDeliveryStreamRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
