using Microsoft.Extensions.Options;
using Tracking.Aws.Kinesis;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// Checks the stream (DescribeStreamSummary) and keeps the sink's shard list current (ListShards): right away, then
/// every <see cref="KinesisSinkOptions.RefreshInterval"/> and whenever the sink notices a reshard, in the loop both
/// sinks share (<see cref="StreamMonitor"/>): a missing or inactive stream, refused credentials or an unreachable
/// endpoint turn <c>/health/ready</c> unhealthy with the reason.
/// </summary>
internal sealed partial class KinesisStreamMonitor(
    IKinesisClient client,
    IShardRouting routing,
    DeliveryHealth status,
    IOptions<KinesisSinkOptions> options,
    IOptions<BatchingOptions> batching,
    TimeProvider time,
    ILogger<KinesisStreamMonitor> logger) : StreamMonitor(status, batching, time, logger)
{
    private const string Permissions = "kinesis:DescribeStreamSummary and kinesis:ListShards";

    /// <summary>Refreshes asked for by the sink are at least this far apart, so a burst of hints costs one listing.</summary>
    internal static readonly TimeSpan MinimumSpacing = TimeSpan.FromSeconds(1);

    private readonly KinesisSinkOptions _options = options.Value;

    protected override string SinkName => "Kinesis";

    protected override string StreamName => _options.StreamName!;

    protected override async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        // Reset before reading, so a hint that comes while the listing is under way asks for another.
        routing.ResetRefreshRequest();
        var summary = (await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = StreamName }, cancellationToken))
            .StreamDescriptionSummary;
        if (summary.StreamStatus is not (StreamStatus.Active or StreamStatus.Updating))
        {
            return $"stream '{StreamName}' is {summary.StreamStatus}, not ACTIVE";
        }

        var shards = await client.ListAllShardsAsync(StreamName, cancellationToken: cancellationToken);
        try
        {
            routing.UseShards(ShardMap.FromOpenShards(shards));
        }
        catch (InvalidOperationException ex)
        {
            // A listing taken halfway through a reshard: keep routing as before and look again shortly.
            LogIncompleteListing(logger, StreamName, ex.Message);
            routing.RequestRefresh();
        }

        return null;
    }

    protected override string Describe(Exception exception) =>
        AwsSinkSettings.Describe(exception, $"stream '{StreamName}'", client.Endpoint, Permissions);

    protected override async Task WaitForNextCheckAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(MinimumSpacing, Time, cancellationToken);
        await Task.WhenAny(routing.RefreshRequested, Task.Delay(_options.RefreshInterval - MinimumSpacing, Time, cancellationToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The shard list of Kinesis stream {Stream} is incomplete ({Reason}); keeping the current shards and listing again")]
    private static partial void LogIncompleteListing(ILogger logger, string stream, string reason);
}
