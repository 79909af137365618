namespace Tracking.Aws.Kinesis;

/// <summary>
/// Checks requests against the documented limits before anything is sent, so a caller's bug surfaces as an
/// <see cref="ArgumentException"/> naming the limit rather than as a round trip and a service error.
/// </summary>
internal static class KinesisRequestRules
{
    public static void Check(PutRecordsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireStream(request.StreamName, request.StreamArn);
        if (request.Records is null || request.Records.Count is 0 or > KinesisLimits.MaxRecordsPerPutRecords)
        {
            throw Invalid($"PutRecords takes 1 to {KinesisLimits.MaxRecordsPerPutRecords} records (got {request.Records?.Count ?? 0}).");
        }

        long total = 0;
        for (var i = 0; i < request.Records.Count; i++)
        {
            var entry = request.Records[i] ?? throw Invalid($"Records[{i}] is null.");
            var keyLength = entry.PartitionKey?.Length ?? 0;
            if (keyLength is < KinesisLimits.MinPartitionKeyLength or > KinesisLimits.MaxPartitionKeyLength)
            {
                throw Invalid($"Records[{i}].PartitionKey must be {KinesisLimits.MinPartitionKeyLength} to {KinesisLimits.MaxPartitionKeyLength} characters (got {keyLength}).");
            }

            var size = entry.Size;
            if (size > KinesisLimits.MaxRecordBytes)
            {
                throw Invalid($"Records[{i}] is {size} bytes with its partition key; Kinesis accepts at most {KinesisLimits.MaxRecordBytes} (1 MiB).");
            }

            total += size;
        }

        if (total > KinesisLimits.MaxPutRecordsRequestBytes)
        {
            throw Invalid($"The records total {total} bytes with their partition keys; PutRecords accepts at most {KinesisLimits.MaxPutRecordsRequestBytes} (5 MiB).");
        }
    }

    public static void Check(ListShardsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.NextToken is not null)
        {
            if (request.StreamName is not null || request.ExclusiveStartShardId is not null || request.StreamCreationTimestamp is not null)
            {
                throw Invalid("ListShards with NextToken must not also set StreamName, ExclusiveStartShardId or StreamCreationTimestamp: the token identifies the stream.");
            }
        }
        else
        {
            RequireStream(request.StreamName, request.StreamArn);
        }

        if (request.MaxResults is < 1 or > KinesisLimits.MaxListShardsResults)
        {
            throw Invalid($"ListShards MaxResults must be 1 to {KinesisLimits.MaxListShardsResults} (got {request.MaxResults}).");
        }
    }

    public static void Check(DescribeStreamSummaryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireStream(request.StreamName, request.StreamArn);
    }

    public static void Check(GetShardIteratorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireStream(request.StreamName, request.StreamArn);
        Require(request.ShardId, nameof(request.ShardId));
        if (request.ShardIteratorType is ShardIteratorType.AtSequenceNumber or ShardIteratorType.AfterSequenceNumber)
        {
            Require(request.StartingSequenceNumber, nameof(request.StartingSequenceNumber));
        }

        if (request.ShardIteratorType is ShardIteratorType.AtTimestamp && request.Timestamp is null)
        {
            throw Invalid("GetShardIterator with AT_TIMESTAMP needs a Timestamp.");
        }
    }

    public static void Check(GetRecordsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Require(request.ShardIterator, nameof(request.ShardIterator));
        if (request.Limit is < 1 or > KinesisLimits.MaxRecordsPerGetRecords)
        {
            throw Invalid($"GetRecords Limit must be 1 to {KinesisLimits.MaxRecordsPerGetRecords} (got {request.Limit}).");
        }
    }

    public static void Check(CreateStreamRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Require(request.StreamName, nameof(request.StreamName));
        if (request.ShardCount is < 1)
        {
            throw Invalid($"CreateStream ShardCount must be at least 1 (got {request.ShardCount}).");
        }
    }

    public static void Check(DeleteStreamRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireStream(request.StreamName, request.StreamArn);
    }

    public static void Check(SplitShardRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireStream(request.StreamName, request.StreamArn);
        Require(request.ShardToSplit, nameof(request.ShardToSplit));
        Require(request.NewStartingHashKey, nameof(request.NewStartingHashKey));
    }

    public static void Check(MergeShardsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireStream(request.StreamName, request.StreamArn);
        Require(request.ShardToMerge, nameof(request.ShardToMerge));
        Require(request.AdjacentShardToMerge, nameof(request.AdjacentShardToMerge));
    }

    private static void RequireStream(string? streamName, string? streamArn)
    {
        if (string.IsNullOrEmpty(streamName) && string.IsNullOrEmpty(streamArn))
        {
            throw Invalid("The request needs a StreamName or a StreamARN.");
        }
    }

    private static void Require(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw Invalid($"{name} is required.");
        }
    }

    private static ArgumentException Invalid(string message) => new(message);
}
