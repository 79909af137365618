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
/// The consumer's /metrics and /status.json behind Consumer:AdminKey, scraped from the real process reading
/// kinesalite into PostgreSQL, and the API's status page showing the consumer's lag per shard from it.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed partial class ConsumerOperationsTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private const string ConsumerKey = "consumer-admin-key-0123456789";
    private const string ApiKey = "api-admin-key-0123456789";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task MetricsAndStatusAnswerOnlyTheAdminKeyCountWhatWasReadAndTheApiShowsTheLagOfEachShard()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 2);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("operations"));
        var events = TestEvent.Many(users: 10, perUser: 3).ToList();
        await stream.PutEventsAsync(events);
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-ops");
        settings["Consumer:AdminKey"] = ConsumerKey;
        await using var consumer = ConsumerProcess.Start(settings);
        await warehouse.WaitForEventCountAsync(events.Count, Patience, consumer);
        var consumerUrl = new Uri((await consumer.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value);

        using var http = new HttpClient { BaseAddress = consumerUrl };
        foreach (var path in new[] { "/metrics", "/status.json" })
        {
            using var anonymous = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsumerKey);
        var metrics = "";
        await Eventually.TrueAsync(
            async () =>
            {
                metrics = await http.GetStringAsync("/metrics");
                return Value(metrics, "consumer_rows_loaded_total") == events.Count;
            },
            "the scrape counts every loaded row",
            Patience,
            () => metrics);
        Assert.Equal(events.Count, Value(metrics, "consumer_records_read_total"));
        Assert.Contains("consumer_shard_millis_behind_latest", metrics, StringComparison.Ordinal);

        var status = JsonNode.Parse(await http.GetStringAsync("/status.json"))!;
        Assert.Equal("worker-ops", status["workerId"]!.GetValue<string>());
        Assert.Equal(2, status["leasesHeld"]!.GetValue<int>());
        var shards = status["shards"]!.AsArray();
        Assert.Equal(2, shards.Count);
        Assert.All(shards, s => Assert.StartsWith("shardId-", s!["shardId"]!.GetValue<string>(), StringComparison.Ordinal));

        var outbox = TemporaryFolder.NewPath();
        await using var api = ConsumerProcess.Start(ConsumerProcess.ApiAssemblyPath, new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Tracking:WriteKeys:ops-write-key"] = "ops",
            ["Tracking:File:Directory"] = outbox,
            ["Tracking:Spool:Directory"] = outbox + "-spool",
            ["Tracking:AdminKey"] = ApiKey,
            ["Tracking:Status:ConsumerUrl"] = consumerUrl.ToString(),
            ["Tracking:Status:ConsumerKey"] = ConsumerKey,
            // The default 2 s is for a page an operator waits on; this first call of a just-started API, on shared
            // and loaded cores, may take longer than that, and what is tested here is what it shows, not how fast.
            ["Tracking:Status:ConsumerTimeout"] = "00:00:30",
        });
        try
        {
            var apiUrl = new Uri((await api.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value);
            using var apiHttp = new HttpClient { BaseAddress = apiUrl };
            apiHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            var seen = JsonNode.Parse(await apiHttp.GetStringAsync("/status.json"))!["consumer"]!;
            Assert.Equal("reachable", seen["state"]!.GetValue<string>());
            Assert.Equal("worker-ops", seen["status"]!["workerId"]!.GetValue<string>());
            Assert.Equal(
                shards.Select(s => s!["shardId"]!.GetValue<string>()).Order(),
                seen["status"]!["shards"]!.AsArray().Select(s => s!["shardId"]!.GetValue<string>()).Order());

            // Killed, the consumer is shown as unreachable with the reason, and the API's page still answers.
            await consumer.KillAsync();
            var gone = JsonNode.Parse(await apiHttp.GetStringAsync("/status.json"))!["consumer"]!;
            Assert.Equal("unreachable", gone["state"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(gone["error"]!.GetValue<string>()));
        }
        finally
        {
            await api.DisposeAsync();
            TemporaryFolder.Delete(outbox);
            TemporaryFolder.Delete(outbox + "-spool");
        }
    }

    [Fact]
    public async Task WithoutAnAdminKeyTheConsumerServesNeitherMetricsNorStatus()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("noops"));
        await using var consumer = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-plain"));
        var consumerUrl = new Uri((await consumer.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value);
        using var http = new HttpClient { BaseAddress = consumerUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsumerKey);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/status.json")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task TheAdminKeyGuardsMetricsAndStatusWhateverTheCaseOrTrailingSlashOfThePathAndTenWrongKeysShutTheAddressOut()
    {
        // Routing matches paths case-insensitively and with a trailing slash: the guard must cover every spelling it routes.
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("opscase"));
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-case");
        settings["Consumer:AdminKey"] = ConsumerKey;
        await using var consumer = ConsumerProcess.Start(settings);
        var consumerUrl = new Uri((await consumer.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value);
        using var http = new HttpClient { BaseAddress = consumerUrl };
        foreach (var path in new[] { "/METRICS", "/Metrics", "/metrics/", "/STATUS.JSON", "/status.json/" })
        {
            using var anonymous = await http.GetAsync(path);
            Assert.True(
                anonymous.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound,
                $"{path} answered {(int)anonymous.StatusCode} without the admin key: {await anonymous.Content.ReadAsStringAsync()}");
        }

        // Requests without a key cost nothing; ten wrong keys shut the address out, and then even the right key waits.
        for (var i = 0; i < Tracking.ServiceDefaults.AdminKeyGuesses.Allowed; i++)
        {
            using var wrong = new HttpRequestMessage(HttpMethod.Get, i % 2 == 0 ? "/metrics" : "/status.json");
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"guess-{i}");
            using var refused = await http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var right = new HttpRequestMessage(HttpMethod.Get, "/status.json");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ConsumerKey);
        using var shutOut = await http.SendAsync(right);
        Assert.Equal((HttpStatusCode)429, shutOut.StatusCode);
        Assert.Equal("application/problem+json", shutOut.Content.Headers.ContentType?.MediaType);
        Assert.InRange(int.Parse(shutOut.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task AShortAdminKeyRefusesTheStartWithOneLineNamingTheSetting()
    {
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, "events", postgres.ConnectionString("postgres"), "w");
        settings["Consumer:AdminKey"] = "short";
        await using var consumer = ConsumerProcess.Start(settings);
        await consumer.WaitForExitAsync(Patience);
        Assert.Equal(2, consumer.ExitCode);
        var line = Assert.Single(consumer.Lines, l => l.Length > 0);
        Assert.Contains("Consumer:AdminKey must be 16 to 1024 characters long", line, StringComparison.Ordinal);
    }

    private static double? Value(string exposition, string metric)
    {
        var match = Regex.Match(exposition, $@"^{Regex.Escape(metric)}(\{{[^}}]*\}})? (\S+)", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
