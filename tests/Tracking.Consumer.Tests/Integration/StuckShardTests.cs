using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// A shard that fails on every attempt, in the real consumer process on kinesalite and PostgreSQL: its checkpoint
/// is one Kinesis refuses (a sequence number of another shard, as an operator's copy of the lease table or a
/// recreated stream leaves behind).
/// </summary>
[Collection(Infrastructure.Name)]
public sealed partial class StuckShardTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private const string Broken = "shardId-000000000000";
    private const string ConsumerKey = "consumer-admin-key-0123456789";
    private const string ApiKey = "api-admin-key-0123456789";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AShardWhoseCheckpointCannotBeUsedBacksOffLogsOnceShowsOnBothStatusPagesAndFailsReadinessUntilFixed()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 2);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("stuck"));
        var first = TestEvent.Many(users: 20, perUser: 2).ToList();
        await stream.PutEventsAsync(first);
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-stuck");
        settings["Consumer:AdminKey"] = ConsumerKey;
        settings["Logging:LogLevel:Tracking.Consumer"] = "Information";
        await using (var loading = ConsumerProcess.Start(settings))
        {
            await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, loading);
            await loading.SignalAsync("TERM");
            await loading.WaitForExitAsync(Patience);
        }

        var good = new Dictionary<string, string>(stream.LastSequenceNumbers);
        var other = good.Keys.Single(k => k != Broken);
        await SetCheckpointAsync(warehouse, Broken, good[other]);
        var second = TestEvent.Many(users: 20, perUser: 2).ToList();
        await stream.PutEventsAsync(second);

        await using var consumer = ConsumerProcess.Start(settings);
        var consumerUrl = new Uri((await consumer.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value);
        using var http = new HttpClient { BaseAddress = consumerUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsumerKey);

        // Readiness names the shard and why, once it has failed a few times in a row.
        var ready = await Eventually.FoundAsync(
            async () =>
            {
                using var response = await http.GetAsync("/health/ready");
                var body = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.ServiceUnavailable && body.Contains(Broken, StringComparison.Ordinal) ? body : null;
            },
            "readiness reports the broken shard",
            Patience,
            () => consumer.Output);
        var shardsCheck = JsonNode.Parse(ready)!["checks"]!["shards"]!;
        Assert.Equal("Unhealthy", shardsCheck["status"]!.GetValue<string>());
        Assert.Contains("InvalidArgument", shardsCheck["description"]!.GetValue<string>(), StringComparison.Ordinal);

        // Four failures in a row take at least 0.5 + 1 + 2 s of back-off between them; no retry per lease round.
        var stuck = await Eventually.FoundAsync(
            async () => StuckShard(JsonNode.Parse(await http.GetStringAsync("/status.json"))!) is { } s && s["failures"]!.GetValue<int>() >= 4 ? s : null,
            "the shard has failed four times in a row",
            Patience,
            () => consumer.Output);
        Assert.Equal("failing", stuck["state"]!.GetValue<string>());
        Assert.True(stuck["unready"]!.GetValue<bool>());
        Assert.Contains("InvalidArgument", stuck["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var since = stuck["since"]!.GetValue<DateTimeOffset>();
        var failures = stuck["failures"]!.GetValue<int>();
        Assert.True(DateTimeOffset.UtcNow - since >= TimeSpan.FromSeconds(3.5), $"{failures} failures within {DateTimeOffset.UtcNow - since}:{Environment.NewLine}{consumer.Output}");
        var takes = consumer.Lines.Count(l => l.Contains($"Lease on shard {Broken} taken", StringComparison.Ordinal));
        Assert.InRange(takes, failures, failures + 1);

        // One line with the stack trace, then at most one warning a minute: none yet. (The health check service's
        // own line per failing probe is the probe's rate, not the shard's.)
        var loud = consumer.Lines.Where(l => Regex.IsMatch(l, @"^\s*(fail|warn|crit): Tracking\.") && l.Contains(Broken, StringComparison.Ordinal)).ToList();
        Assert.True(loud.Count == 1, $"{loud.Count} warnings or errors naming {Broken} after {failures} failures:{Environment.NewLine}{string.Join(Environment.NewLine, loud)}");
        Assert.Single(consumer.Lines, l => l.Contains($"Shard {Broken} failed;", StringComparison.Ordinal));

        // The other shard loads on.
        await warehouse.WaitForCheckpointsAsync(new Dictionary<string, string> { [other] = stream.LastSequenceNumbers[other] }, Patience, consumer);

        await AssertTheApiShowsTheStuckShardAsync(consumerUrl);

        // Fixed, the shard is taken again at once, loads what waited, and readiness is 200 again.
        await SetCheckpointAsync(warehouse, Broken, good[Broken]);
        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);
        Assert.Equal(first.Concat(second).Select(e => e.MessageId).ToHashSet(), await warehouse.MessageIdsAsync());
        await Eventually.FoundAsync(
            async () =>
            {
                using var response = await http.GetAsync("/health/ready");
                return response.StatusCode == HttpStatusCode.OK ? "ready" : null;
            },
            "readiness is back to 200",
            Patience,
            () => consumer.Output);
        Assert.Empty(JsonNode.Parse(await http.GetStringAsync("/status.json"))!["stuckShards"]!.AsArray());
    }

    private static async Task AssertTheApiShowsTheStuckShardAsync(Uri consumerUrl)
    {
        var outbox = TemporaryFolder.NewPath();
        await using var api = ConsumerProcess.Start(ConsumerProcess.ApiAssemblyPath, new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Tracking:WriteKeys:stuck-write-key"] = "stuck",
            ["Tracking:File:Directory"] = outbox,
            ["Tracking:Spool:Directory"] = outbox + "-spool",
            ["Tracking:AdminKey"] = ApiKey,
            ["Tracking:Status:ConsumerUrl"] = consumerUrl.ToString(),
            ["Tracking:Status:ConsumerKey"] = ConsumerKey,
            // A just-started API on shared cores may take longer than the default 2 s for its first call.
            ["Tracking:Status:ConsumerTimeout"] = "00:00:30",
        });
        try
        {
            var apiUrl = new Uri((await api.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value);
            using var apiHttp = new HttpClient { BaseAddress = apiUrl };
            apiHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            var seen = JsonNode.Parse(await apiHttp.GetStringAsync("/status.json"))!["consumer"]!;
            Assert.Equal("reachable", seen["state"]!.GetValue<string>());
            var shown = StuckShard(seen["status"]!);
            Assert.NotNull(shown);
            Assert.Contains("InvalidArgument", shown["reason"]!.GetValue<string>(), StringComparison.Ordinal);

            // The page itself renders the list.
            var script = await apiHttp.GetStringAsync("/admin/assets/status.js");
            Assert.Contains("stuckShards", script, StringComparison.Ordinal);
        }
        finally
        {
            await api.DisposeAsync();
            TemporaryFolder.Delete(outbox);
            TemporaryFolder.Delete(outbox + "-spool");
        }
    }

    private static JsonNode? StuckShard(JsonNode status) =>
        status["stuckShards"]?.AsArray().SingleOrDefault(s => s!["shardId"]!.GetValue<string>() == Broken);

    private static async Task SetCheckpointAsync(WarehouseDb warehouse, string shardId, string checkpoint)
    {
        var updated = await warehouse.ScalarAsync<long>($"WITH u AS (UPDATE shard_leases SET checkpoint = '{checkpoint}' WHERE shard_id = '{shardId}' RETURNING 1) SELECT count(*) FROM u");
        Assert.Equal(1, updated);
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
