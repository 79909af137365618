using System.Collections.Concurrent;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Tracking.Aws;

namespace Tracking.Consumer.Leases;

/// <summary>
/// Leases in a DynamoDB table, as the KCL keeps them: one item per shard (partition key <c>streamName</c>, sort key
/// <c>shardId</c>), every change a conditional write on <c>leaseCounter</c> (take, release) or on owner and counter
/// (renew), so two workers never both win. Renewals are single-item writes DynamoDB takes at any rate; the checkpoint
/// and the fence of loads stay in the warehouse (<see cref="RedshiftLeaseStore"/>).
/// </summary>
internal sealed class DynamoDbLeaseStore(IAmazonDynamoDB dynamo, string tableName, TimeProvider timeProvider) : ILeaseStore
{
    private const string Stream = "streamName";
    private const string Shard = "shardId";
    private const string Parents = "parentShardIds";
    private const string Start = "startPosition";
    private const string Owner = "leaseOwner";
    private const string Counter = "leaseCounter";
    private const string Expires = "expiresAt";
    private const string Finished = "finished";
    private const string StartTimestamp = "startTimestamp";
    private const string StreamCreatedAt = "streamCreatedAt";
    private const string Arn = "streamArn";
    private const string Pending = "settingAside";

    /// <summary>The sort key of a stream's identity item, whose partition key (<c>{stream}@identity</c>) no stream or
    /// set-aside name can take.</summary>
    private const string IdentityShard = "identity";

    /// <summary>The identity each stream was adopted with here, stamped on the items this worker adds: a worker setting
    /// an older stream's items aside removes only the items not stamped with the newer one.</summary>
    private readonly ConcurrentDictionary<string, long> _adopted = new(StringComparer.Ordinal);

    /// <summary>Creates the table (on-demand capacity) when it is missing and waits until it is active. A table that
    /// exists is only described, so a pre-created table needs no <c>dynamodb:CreateTable</c> permission.</summary>
    public async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.DescribeTableAsync(tableName, cancellationToken);
        }
        catch (ResourceNotFoundException)
        {
            try
            {
                await dynamo.CreateTableAsync(
                    new CreateTableRequest
                    {
                        TableName = tableName,
                        BillingMode = BillingMode.PAY_PER_REQUEST,
                        AttributeDefinitions = [new AttributeDefinition(Stream, ScalarAttributeType.S), new AttributeDefinition(Shard, ScalarAttributeType.S)],
                        KeySchema = [new KeySchemaElement(Stream, KeyType.HASH), new KeySchemaElement(Shard, KeyType.RANGE)],
                    },
                    cancellationToken);
            }
            catch (ResourceInUseException)
            {
                // Another worker is creating it.
            }
        }

        var deadline = timeProvider.GetUtcNow() + TimeSpan.FromMinutes(2);
        while (true)
        {
            var table = await dynamo.DescribeTableAsync(tableName, cancellationToken);
            if (table.Table.TableStatus == TableStatus.ACTIVE)
            {
                return;
            }

            if (timeProvider.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"The DynamoDB lease table {tableName} is still {table.Table.TableStatus} after 2 minutes.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), timeProvider, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<Lease>> ListAsync(string stream, CancellationToken cancellationToken) =>
        (await ItemsAsync(stream, cancellationToken)).Select(ToLease).OrderBy(l => l.ShardId, StringComparer.Ordinal).ToList();

    /// <summary>Every item of <paramref name="stream"/>, read consistently, page after page.</summary>
    private async Task<List<Dictionary<string, AttributeValue>>> ItemsAsync(string stream, CancellationToken cancellationToken)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await dynamo.QueryAsync(
                new QueryRequest
                {
                    TableName = tableName,
                    ConsistentRead = true,
                    KeyConditionExpression = "#stream = :stream",
                    ExpressionAttributeNames = new() { ["#stream"] = Stream },
                    ExpressionAttributeValues = new() { [":stream"] = new AttributeValue { S = stream } },
                    ExclusiveStartKey = start,
                },
                cancellationToken);
            items.AddRange(response.Items ?? []);
            start = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return items;
    }

    public async Task AddShardsAsync(string stream, IReadOnlyList<NewShard> shards, CancellationToken cancellationToken)
    {
        foreach (var shard in shards)
        {
            try
            {
                var request = new PutItemRequest
                {
                    TableName = tableName,
                    Item = new()
                    {
                        [Stream] = new AttributeValue { S = stream },
                        [Shard] = new AttributeValue { S = shard.ShardId },
                        [Parents] = new AttributeValue { L = shard.ParentShardIds.Select(p => new AttributeValue { S = p }).ToList() },
                        [Start] = new AttributeValue { S = shard.StartPosition },
                        [Counter] = Number(0),
                        [Finished] = new AttributeValue { BOOL = false },
                    },
                    ConditionExpression = "attribute_not_exists(#shard)",
                    ExpressionAttributeNames = new() { ["#shard"] = Shard },
                };
                if (shard.StartTimestamp is { } startTimestamp)
                {
                    request.Item[StartTimestamp] = Number(startTimestamp.ToUnixTimeMilliseconds());
                }

                if (_adopted.TryGetValue(stream, out var createdAt))
                {
                    request.Item[StreamCreatedAt] = Number(createdAt);
                }

                await dynamo.PutItemAsync(request, cancellationToken);
            }
            catch (ConditionalCheckFailedException)
            {
                // Another worker added it first; existing items are left as they are.
            }
        }
    }

    public async Task<ShardFence?> TryTakeAsync(string stream, string shardId, long observedCounter, string owner, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        try
        {
            var response = await dynamo.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = tableName,
                    Key = Key(stream, shardId),
                    UpdateExpression = "SET #owner = :owner, #expires = :expires, #counter = #counter + :one",
                    ConditionExpression = "#counter = :observed AND #finished = :false",
                    ExpressionAttributeNames = new() { ["#owner"] = Owner, ["#expires"] = Expires, ["#counter"] = Counter, ["#finished"] = Finished },
                    ExpressionAttributeValues = new()
                    {
                        [":owner"] = new AttributeValue { S = owner },
                        [":expires"] = Number(expiresAt.ToUnixTimeMilliseconds()),
                        [":one"] = Number(1),
                        [":observed"] = Number(observedCounter),
                        [":false"] = new AttributeValue { BOOL = false },
                    },
                    ReturnValues = ReturnValue.UPDATED_NEW,
                },
                cancellationToken);
            return new ShardFence(stream, shardId, owner, long.Parse(response.Attributes[Counter].N, CultureInfo.InvariantCulture));
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    public Task<bool> RenewAsync(ShardFence fence, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        UpdateIfHeldAsync(fence, "SET #expires = :expires", (":expires", Number(expiresAt.ToUnixTimeMilliseconds())), cancellationToken);

    /// <summary>Gives the lease up; when another worker has taken it already there is nothing of ours to give up.</summary>
    public Task ReleaseAsync(ShardFence fence, CancellationToken cancellationToken) =>
        UpdateIfHeldAsync(fence, "REMOVE #owner, #expires SET #counter = #counter + :one", (":one", Number(1)), cancellationToken);

    /// <summary>
    /// DynamoDB cannot rename a key, and an item per shard is too many for one transaction, so the move is three steps
    /// each a conditional write: the identity item turns to the new stream and records the old one as being set aside;
    /// every item of the old stream is copied aside and then deleted unless it carries the new stream's stamp; the mark
    /// is cleared. Whoever finds the mark (a worker that stopped midway, or another one) finishes the move.
    /// </summary>
    public async Task<StreamIdentity?> AdoptStreamAsync(string stream, StreamIdentity current, CancellationToken cancellationToken)
    {
        var now = current.CreatedAt.ToUnixTimeMilliseconds();
        StreamIdentity? setAside = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var item = (await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = IdentityKey(stream), ConsistentRead = true }, cancellationToken)).Item;
            var recorded = item is { Count: > 0 } && item.TryGetValue(StreamCreatedAt, out var created) ? long.Parse(created.N, CultureInfo.InvariantCulture) : (long?)null;
            var pending = item is { Count: > 0 } && item.TryGetValue(Pending, out var aside) ? long.Parse(aside.N, CultureInfo.InvariantCulture) : (long?)null;
            if (pending is { } unfinished && recorded == now)
            {
                await SetAsideAsync(stream, unfinished, cancellationToken);
                _adopted[stream] = now;
                return setAside;
            }

            if (recorded == now)
            {
                _adopted[stream] = now;
                return setAside;
            }

            try
            {
                var update = new UpdateItemRequest
                {
                    TableName = tableName,
                    Key = IdentityKey(stream),
                    ExpressionAttributeNames = new() { ["#created"] = StreamCreatedAt, ["#arn"] = Arn },
                    ExpressionAttributeValues = new() { [":created"] = Number(now), [":arn"] = new AttributeValue { S = current.Arn ?? "" } },
                };
                if (recorded is { } old)
                {
                    update.UpdateExpression = "SET #created = :created, #arn = :arn, #pending = :old";
                    update.ConditionExpression = "#created = :old AND attribute_not_exists(#pending)";
                    update.ExpressionAttributeNames["#pending"] = Pending;
                    update.ExpressionAttributeValues[":old"] = Number(old);
                }
                else
                {
                    update.UpdateExpression = "SET #created = :created, #arn = :arn";
                    update.ConditionExpression = "attribute_not_exists(#created)";
                }

                await dynamo.UpdateItemAsync(update, cancellationToken);
                if (recorded is { } replaced)
                {
                    setAside = new StreamIdentity(DateTimeOffset.FromUnixTimeMilliseconds(replaced), null);
                }
            }
            catch (ConditionalCheckFailedException)
            {
                // Another worker changed the identity first: read what it did, and finish its move if need be.
            }
        }

        throw new InvalidOperationException($"The DynamoDB lease table {tableName}: the identity of stream {stream} kept changing under this worker.");
    }

    private async Task SetAsideAsync(string stream, long old, CancellationToken cancellationToken)
    {
        var asideName = new StreamIdentity(DateTimeOffset.FromUnixTimeMilliseconds(old), null).AsideName(stream);
        foreach (var item in await ItemsAsync(stream, cancellationToken))
        {
            if (item.TryGetValue(StreamCreatedAt, out var stamp) && stamp.N != Number(old).N)
            {
                continue;
            }

            var copy = new Dictionary<string, AttributeValue>(item) { [Stream] = new AttributeValue { S = asideName } };
            await dynamo.PutItemAsync(new PutItemRequest { TableName = tableName, Item = copy }, cancellationToken);
            try
            {
                await dynamo.DeleteItemAsync(
                    new DeleteItemRequest
                    {
                        TableName = tableName,
                        Key = Key(stream, item[Shard].S),
                        ConditionExpression = "attribute_not_exists(#created) OR #created = :old",
                        ExpressionAttributeNames = new() { ["#created"] = StreamCreatedAt },
                        ExpressionAttributeValues = new() { [":old"] = Number(old) },
                    },
                    cancellationToken);
            }
            catch (ConditionalCheckFailedException)
            {
                // Replaced meanwhile by the new stream's item of the same shard id: that one stays.
            }
        }

        try
        {
            await dynamo.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = tableName,
                    Key = IdentityKey(stream),
                    UpdateExpression = "REMOVE #pending",
                    ConditionExpression = "#pending = :old",
                    ExpressionAttributeNames = new() { ["#pending"] = Pending },
                    ExpressionAttributeValues = new() { [":old"] = Number(old) },
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Another worker finished the same move.
        }
    }

    private static Dictionary<string, AttributeValue> IdentityKey(string stream) => Key($"{stream}@identity", IdentityShard);

    /// <summary>Applies <paramref name="update"/> only while <paramref name="fence"/> still holds the lease (same owner and counter).</summary>
    private async Task<bool> UpdateIfHeldAsync(ShardFence fence, string update, (string Name, AttributeValue Value) value, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = tableName,
                    Key = Key(fence.Stream, fence.ShardId),
                    UpdateExpression = update,
                    ConditionExpression = "#owner = :owner AND #counter = :counter",
                    ExpressionAttributeNames = new() { ["#owner"] = Owner, ["#expires"] = Expires, ["#counter"] = Counter },
                    ExpressionAttributeValues = new()
                    {
                        [value.Name] = value.Value,
                        [":owner"] = new AttributeValue { S = fence.Owner },
                        [":counter"] = Number(fence.Counter),
                    },
                },
                cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>A client for the settings' region, or for <see cref="AwsClientSettings.ServiceUrl"/> (dynalite, DynamoDB
    /// Local, a VPC endpoint). <paramref name="credentials"/> <see langword="null"/> means the default AWS chain.</summary>
    public static AmazonDynamoDBClient CreateClient(AwsClientSettings settings, AWSCredentials? credentials)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var config = new AmazonDynamoDBConfig();
        settings.Apply(config);

        return credentials is null ? new AmazonDynamoDBClient(config) : new AmazonDynamoDBClient(credentials, config);
    }

    private static Dictionary<string, AttributeValue> Key(string stream, string shardId) =>
        new() { [Stream] = new AttributeValue { S = stream }, [Shard] = new AttributeValue { S = shardId } };

    private static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static Lease ToLease(Dictionary<string, AttributeValue> item) => new(
        item[Shard].S,
        item.TryGetValue(Parents, out var parents) && parents.L is { } list ? list.Select(p => p.S).ToList() : [],
        item[Start].S,
        item.TryGetValue(Owner, out var owner) ? owner.S : null,
        long.Parse(item[Counter].N, CultureInfo.InvariantCulture),
        item.TryGetValue(Expires, out var expires) ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(expires.N, CultureInfo.InvariantCulture)) : null,
        Checkpoint: null,
        item.TryGetValue(Finished, out var finished) && finished.BOOL == true,
        item.TryGetValue(StartTimestamp, out var startTimestamp) ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(startTimestamp.N, CultureInfo.InvariantCulture)) : null);
}
