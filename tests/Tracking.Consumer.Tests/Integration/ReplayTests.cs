using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// Replay end to end: the API process writes its File sink's archive, the replay command puts a time range of it into a
/// kinesalite stream, the consumer process loads PostgreSQL; replaying the same range again adds no row.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed partial class ReplayTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private const string WriteKey = "replay-tests-key";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task AnArchivedRangeReplayedTwiceIsInTheWarehouseOnce()
    {
        var outbox = Path.Combine(Path.GetTempPath(), $"tracking-replay-e2e-{Guid.NewGuid():N}");
        try
        {
            var from = DateTimeOffset.UtcNow.AddSeconds(-1);
            var ids = await ArchiveThroughTheApiAsync(outbox, count: 240);
            var to = DateTimeOffset.UtcNow.AddSeconds(1);
            using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
            var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("replay"));
            await using var consumer = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "replayer"));

            var first = await ReplayAsync(outbox, stream.Name, from, to);
            Assert.True(first.Exit == 0, first.Output);
            Assert.Contains("in range 240: put 240, failed 0", first.Output, StringComparison.Ordinal);
            await warehouse.WaitForEventCountAsync(ids.Count, Patience, consumer);
            Assert.Equal(ids, await warehouse.MessageIdsAsync());

            var second = await ReplayAsync(outbox, stream.Name, from, to);
            Assert.True(second.Exit == 0, second.Output);

            // One shard: once an event put after the second replay is loaded, everything the replay put was read.
            await stream.PutEventsAsync([new TestEvent("after-the-second-replay", "sentinel", 0)]);
            await warehouse.WaitForEventCountAsync(ids.Count + 1, Patience, consumer);
            await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);
            Assert.Equal(ids.Count + 1, await warehouse.EventCountAsync());
            Assert.Equal(0, await warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        }
        finally
        {
            if (Directory.Exists(outbox))
            {
                Directory.Delete(outbox, recursive: true);
            }

            if (Directory.Exists(outbox + "-spool"))
            {
                Directory.Delete(outbox + "-spool", recursive: true);
            }
        }
    }

    /// <summary>Runs the built replay command as a user would, <c>dotnet Tracking.Replay.dll --from … --to …</c>, with the
    /// emulator's credentials in the standard environment variables.</summary>
    private async Task<(int Exit, string Output)> ReplayAsync(string archive, string stream, DateTimeOffset from, DateTimeOffset to)
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args =
        [
            ConsumerProcess.ReplayAssemblyPath,
            "--from", from.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            "--to", to.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            "--archive", archive, "--stream", stream, "--region", KinesaliteFixture.Region,
            "--kinesis-url", kinesalite.ServiceUrl.ToString(), "--rate", "1000",
        ];
        args.ToList().ForEach(startInfo.ArgumentList.Add);
        startInfo.Environment["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE";
        startInfo.Environment["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Posts events to the real API with its File sink and stops it, so every file is complete; returns their ids.</summary>
    private static async Task<HashSet<string>> ArchiveThroughTheApiAsync(string outbox, int count)
    {
        await using var api = ConsumerProcess.Start(ConsumerProcess.ApiAssemblyPath, new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Tracking:Sink"] = "File",
            ["Tracking:File:Directory"] = outbox,
            ["Tracking:Spool:Directory"] = outbox + "-spool",
            [$"Tracking:WriteKeys:{WriteKey}"] = "replay-tests",
            ["Tracking:RateLimit:PermitsPerSecond"] = "0",
        });
        var url = new Uri((await api.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{WriteKey}:")));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in Enumerable.Range(0, count).Chunk(60))
        {
            var items = chunk.Select(i => $$$"""{"type":"track","event":"Archived","messageId":"replayed-{{{i}}}","anonymousId":"anon-{{{i % 9}}}","properties":{"i":{{{i}}}}}""");
            using var response = await http.PostAsync(new Uri("/v1/batch", UriKind.Relative), new StringContent($"{{\"batch\":[{string.Join(",", items)}]}}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            chunk.ToList().ForEach(i => ids.Add($"replayed-{i}"));
        }

        // A graceful stop completes the open file into its hour folder.
        await api.SignalAsync("TERM");
        await api.WaitForExitAsync(Patience);
        return ids;
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
