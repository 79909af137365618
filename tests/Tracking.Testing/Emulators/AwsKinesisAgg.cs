using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Tracking.Testing.Emulators;

/// <summary>One record as AWS's <c>aws-kinesis-agg</c> module sees it: partition key, explicit hash key and data.</summary>
public sealed record AggRecord(string PartitionKey, string? ExplicitHashKey, byte[] Data);

/// <summary>A user record as <c>aws-kinesis-agg</c>'s de-aggregator gives it.</summary>
public sealed record AggUserRecord(string PartitionKey, string SequenceNumber, int? SubSequenceNumber, byte[] Data);

/// <summary>
/// AWS's own KPL aggregation module (npm <c>aws-kinesis-agg</c>, pinned in <c>tests/emulators/package.json</c>),
/// run through <c>tests/emulators/kpl-agg.js</c>: the reference our encoder and decoder are checked against.
/// </summary>
public static class AwsKinesisAgg
{
    /// <summary>Aggregates <paramref name="records"/> with the module's <c>RecordAggregator</c> (1 MiB per aggregate).</summary>
    public static async Task<IReadOnlyList<AggRecord>> AggregateAsync(IEnumerable<AggRecord> records)
    {
        var request = new JsonObject
        {
            ["op"] = "aggregate",
            ["records"] = new JsonArray([.. records.Select(ToJson)]),
        };
        var answer = await RunAsync(request);
        return [.. answer.AsArray().Select(FromJson)];
    }

    private static JsonNode ToJson(AggRecord r) => new JsonObject
    {
        ["partitionKey"] = r.PartitionKey,
        ["explicitHashKey"] = r.ExplicitHashKey,
        ["data"] = Convert.ToBase64String(r.Data),
    };

    private static AggRecord FromJson(JsonNode? n) =>
        new((string)n!["partitionKey"]!, (string?)n["explicitHashKey"], Convert.FromBase64String((string)n["data"]!));

    /// <summary>Aggregates each group apart (one node process for all): the aggregated records of each group, in order.</summary>
    public static async Task<IReadOnlyList<IReadOnlyList<AggRecord>>> AggregateGroupsAsync(IEnumerable<IEnumerable<AggRecord>> groups)
    {
        var request = new JsonObject
        {
            ["op"] = "aggregateGroups",
            ["groups"] = new JsonArray([.. groups.Select(g => (JsonNode)new JsonArray([.. g.Select(ToJson)]))]),
        };
        var answer = await RunAsync(request);
        return [.. answer.AsArray().Select(g => (IReadOnlyList<AggRecord>)[.. g!.AsArray().Select(FromJson)])];
    }

    /// <summary>De-aggregates each record with checksums checked: its user records, or the module's error.</summary>
    public static async Task<IReadOnlyList<(IReadOnlyList<AggUserRecord>? Records, string? Error)>> DeaggregateAsync(IEnumerable<(string SequenceNumber, string PartitionKey, byte[] Data)> records)
    {
        var request = new JsonObject
        {
            ["op"] = "deaggregate",
            ["records"] = new JsonArray([.. records.Select(r => (JsonNode)new JsonObject
            {
                ["sequenceNumber"] = r.SequenceNumber,
                ["partitionKey"] = r.PartitionKey,
                ["data"] = Convert.ToBase64String(r.Data),
            })]),
        };
        var answer = await RunAsync(request);
        return [.. answer.AsArray().Select(n => n!["error"] is { } error
            ? ((IReadOnlyList<AggUserRecord>?)null, (string?)error.ToString())
            : ([.. n["records"]!.AsArray().Select(u => new AggUserRecord(
                (string)u!["partitionKey"]!,
                (string)u["sequenceNumber"]!,
                (int?)u["subSequenceNumber"],
                Convert.FromBase64String((string)u["data"]!)))], null))];
    }

    private static async Task<JsonNode> RunAsync(JsonObject request)
    {
        EmulatorPackages.Require("aws-kinesis-agg");
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("NODE") ?? "node")
        {
            WorkingDirectory = EmulatorPackages.Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("kpl-agg.js");
        using var process = Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.StandardInput.WriteAsync(request.ToJsonString());
        process.StandardInput.Close();
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"kpl-agg.js exited with {process.ExitCode}: {await errors}");
        }

        return JsonNode.Parse(await output)!;
    }
}
