namespace Tracking.Aws.Kinesis;

/// <summary>Multi-call conveniences over any <see cref="IKinesisClient"/>.</summary>
public static class KinesisClientExtensions
{
    /// <summary>Default pause between <see cref="WaitForStreamActiveAsync"/> polls: 100 ms, well under
    /// DescribeStreamSummary's quota of 20 calls per second per account.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Lists every shard of a stream, following <c>NextToken</c> from page to page.</summary>
    /// <param name="client">The client.</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="filter">Optional filter, e.g. only the open shards (<see cref="ShardFilterType.AtLatest"/>).</param>
    /// <param name="pageSize">Shards per call, 1 to <see cref="KinesisLimits.MaxListShardsResults"/>; <see langword="null"/> for the service default.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public static async Task<IReadOnlyList<Shard>> ListAllShardsAsync(
        this IKinesisClient client,
        string streamName,
        ShardFilter? filter = null,
        int? pageSize = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(streamName);

        var shards = new List<Shard>();
        var request = new ListShardsRequest { StreamName = streamName, ShardFilter = filter, MaxResults = pageSize };
        while (true)
        {
            var page = await client.ListShardsAsync(request, cancellationToken).ConfigureAwait(false);
            shards.AddRange(page.Shards);
            if (string.IsNullOrEmpty(page.NextToken))
            {
                return shards;
            }

            // Later pages carry only the token: the service rejects a stream name next to it.
            request = new ListShardsRequest { NextToken = page.NextToken, MaxResults = pageSize };
        }
    }

    /// <summary>Polls <c>DescribeStreamSummary</c> until the stream is <c>ACTIVE</c>, as after CreateStream or a reshard.</summary>
    /// <param name="client">The client.</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="timeout">How long to wait before giving up with a <see cref="TimeoutException"/>.</param>
    /// <param name="pollInterval">Pause between polls; <see langword="null"/> for <see cref="DefaultPollInterval"/>.</param>
    /// <param name="timeProvider">Clock for the pauses and the timeout; <see langword="null"/> for the system clock.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The summary of the active stream.</returns>
    public static async Task<StreamDescriptionSummary> WaitForStreamActiveAsync(
        this IKinesisClient client,
        string streamName,
        TimeSpan timeout,
        TimeSpan? pollInterval = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        StreamDescriptionSummary? active = null;
        await PollAsync(
            client,
            streamName,
            async token =>
            {
                var summary = (await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = streamName }, token).ConfigureAwait(false))
                    .StreamDescriptionSummary;
                active = summary.StreamStatus == StreamStatus.Active ? summary : null;
                return (active is not null, summary.StreamStatus);
            },
            timeout,
            pollInterval,
            timeProvider,
            cancellationToken).ConfigureAwait(false);
        return active!;
    }

    /// <summary>Polls <c>DescribeStreamSummary</c> until the stream is gone, as after DeleteStream.</summary>
    /// <param name="client">The client.</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="timeout">How long to wait before giving up with a <see cref="TimeoutException"/>.</param>
    /// <param name="pollInterval">Pause between polls; <see langword="null"/> for <see cref="DefaultPollInterval"/>.</param>
    /// <param name="timeProvider">Clock for the pauses and the timeout; <see langword="null"/> for the system clock.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public static async Task WaitForStreamDeletedAsync(
        this IKinesisClient client,
        string streamName,
        TimeSpan timeout,
        TimeSpan? pollInterval = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        await PollAsync(
            client,
            streamName,
            async token =>
            {
                try
                {
                    var summary = await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = streamName }, token).ConfigureAwait(false);
                    return (false, summary.StreamDescriptionSummary.StreamStatus);
                }
                catch (Errors.AwsResourceNotFoundException)
                {
                    return (true, "gone");
                }
            },
            timeout,
            pollInterval,
            timeProvider,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="check"/> until it says done, pausing between calls; at the deadline throws a
    /// <see cref="TimeoutException"/> naming the status the stream was still in.</summary>
    private static async Task PollAsync(
        IKinesisClient client,
        string streamName,
        Func<CancellationToken, Task<(bool Done, string Status)>> check,
        TimeSpan timeout,
        TimeSpan? pollInterval,
        TimeProvider? timeProvider,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var clock = timeProvider ?? TimeProvider.System;
        var deadline = clock.GetUtcNow() + timeout;
        while (true)
        {
            var (done, status) = await check(cancellationToken).ConfigureAwait(false);
            if (done)
            {
                return;
            }

            if (clock.GetUtcNow() >= deadline)
            {
                throw new TimeoutException($"Stream '{streamName}' was still {status} after {timeout}.");
            }

            await Task.Delay(pollInterval ?? DefaultPollInterval, clock, cancellationToken).ConfigureAwait(false);
        }
    }
}
