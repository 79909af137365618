using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>The built consumer as a process against kinesalite and PostgreSQL: start-up, health, loading, dead letters.</summary>
[Collection(Infrastructure.Name)]
public sealed partial class ConsumerProcessTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("Consumer:Kinesis:StreamName")]
    [InlineData("Consumer:Warehouse:ConnectionString")]
    public async Task StartingWithoutARequiredSettingRefusesWithOneLineNamingIt(string missing)
    {
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, "events", postgres.ConnectionString("postgres"), "w");
        settings.Remove(missing);
        await using var consumer = ConsumerProcess.Start(settings);

        await consumer.WaitForExitAsync(Patience);

        Assert.Equal(2, consumer.ExitCode);
        var line = Assert.Single(consumer.Lines, l => l.Length > 0);
        Assert.Contains($"{missing} is required", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", consumer.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Consumer:Warehouse:Dialect", "Oracle")]
    [InlineData("Consumer:Leases:Duration", "soon")]
    [InlineData("Consumer:Batching:MaxRows", "0")]
    [InlineData("Consumer:Kinesis:Region", "Mars")]
    public async Task StartingWithABadValueRefusesWithOneLineNamingTheSetting(string setting, string value)
    {
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, "events", postgres.ConnectionString("postgres"), "w");
        settings[setting] = value;
        await using var consumer = ConsumerProcess.Start(settings);

        await consumer.WaitForExitAsync(Patience);

        Assert.Equal(2, consumer.ExitCode);
        var line = Assert.Single(consumer.Lines, l => l.Length > 0);
        Assert.Contains(setting, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", consumer.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWarehouseHoldingAnotherWarehousesUsersTableStopsTheStartWithOneLineSayingWhatToDo()
    {
        var connectionString = await postgres.CreateDatabaseAsync("clash");
        await new WarehouseDb(connectionString).ScalarAsync<int>("CREATE TABLE users (id text); SELECT 1");
        await using var consumer = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, "events", connectionString, "w"));

        await consumer.WaitForExitAsync(Patience);

        Assert.Equal(3, consumer.ExitCode);
        var line = Assert.Single(consumer.Lines, l => l.StartsWith("Tracking.Consumer cannot start:", StringComparison.Ordinal));
        Assert.Contains("Search Path=tracking", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", consumer.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingPlanFileRefusesTheStartWithOneLineNamingTheSettingAndTheFile()
    {
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, "events", postgres.ConnectionString("postgres"), "w");
        settings["Consumer:TrackingPlans:web:Path"] = "/nonexistent/web.plan.yaml";
        await using var consumer = ConsumerProcess.Start(settings);

        await consumer.WaitForExitAsync(Patience);

        Assert.Equal(2, consumer.ExitCode);
        var line = Assert.Single(consumer.Lines, l => l.Length > 0);
        Assert.StartsWith("Tracking.Consumer cannot start: Consumer:TrackingPlans:web:Path: the tracking plan file '/nonexistent/web.plan.yaml' cannot be read", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", consumer.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConfiguredPlanGivesItsPerEventViewsOnStart()
    {
        var connectionString = await postgres.CreateDatabaseAsync("planstart");
        var plan = Path.Combine(Directory.CreateTempSubdirectory("plan-").FullName, "web.plan.yaml");
        await File.WriteAllTextAsync(plan, "track:\n  Order Completed:\n    properties:\n      properties:\n        revenue: { type: number }\n");
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, "events", connectionString, "w");
        settings["Consumer:TrackingPlans:web:Path"] = plan;
        await using var consumer = ConsumerProcess.Start(settings);
        var warehouse = new WarehouseDb(connectionString);

        await Eventually.TrueAsync(
            async () => await warehouse.ScalarAsync<long>("SELECT count(*) FROM information_schema.columns WHERE table_name = 'web_order_completed' AND column_name = 'revenue' AND data_type = 'double precision'") == 1,
            "the view web_order_completed has its typed column",
            Patience,
            () => consumer.Output);
    }

    [Fact]
    public async Task AnUnreachableWarehouseStopsTheStartWithOneLineNamingTheSetting()
    {
        var closedPort = EmulatorPackages.FreeLoopbackPort();
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, "events", $"Host=127.0.0.1;Port={closedPort};Username=postgres;Timeout=5", "w");
        await using var consumer = ConsumerProcess.Start(settings);

        await consumer.WaitForExitAsync(Patience);

        Assert.Equal(3, consumer.ExitCode);
        Assert.Contains(consumer.Lines, l => l.StartsWith("Tracking.Consumer cannot start: the warehouse database in Consumer:Warehouse:ConnectionString", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", consumer.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryEventIsLoadedOnceFromEveryShardAndHealthReportsReady()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 4);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("load"));
        var events = TestEvent.Many(users: 50, perUser: 40).ToList();
        await stream.PutEventsAsync(events);
        await using var consumer = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a"));

        await warehouse.WaitForEventCountAsync(events.Count, Patience, consumer);

        Assert.Equal(events.Select(e => e.MessageId).ToHashSet(), await warehouse.MessageIdsAsync());
        var url = (await consumer.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value;
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(new Uri(url), "/health/live"))).StatusCode);
        using var ready = await http.GetAsync(new Uri(new Uri(url), "/health/ready"));
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains("\"database\"", body, StringComparison.Ordinal);
        Assert.Contains("\"stream\"", body, StringComparison.Ordinal);
        Assert.Contains("\"leases\"", body, StringComparison.Ordinal);
        Assert.Equal(4, (await warehouse.OwnersAsync()).Count(o => o.Value == "worker-a"));
    }

    [Fact]
    public async Task BadRecordsGoToDeadLettersByteForByteAndTheGoodOnesAfterThemAreLoaded()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("dead"));
        byte[][] bad =
        [
            [0xff, 0xfe, 0x00, 0x7b],
            Encoding.UTF8.GetBytes("[1,2,3]"),
            Encoding.UTF8.GetBytes("""{"type":"track","messageId":"nul","properties":{"note":"a\u0000b"}}"""),
            Encoding.UTF8.GetBytes("""{"type":"track","messageId":"surrogate","traits":{"name":"\ud800"}}"""),
            Encoding.UTF8.GetBytes($$"""{"type":"track","messageId":"{{new string('x', EventRecords.MaxMessageIdLength + 1)}}"}"""),
            Encoding.UTF8.GetBytes("""{"type":"track","messageId":"huge","properties":{"n":1e1000000}}"""),
        ];
        var before = TestEvent.Many(1, 5, "before").ToList();
        var after = TestEvent.Many(1, 5, "after").ToList();
        var noId = Encoding.UTF8.GetBytes("""{"type":"track","event":"From Elsewhere","userId":"other"}""");
        var when = Encoding.UTF8.GetBytes("""{"type":"track","messageId":"when","timestamp":"yesterday"}""");
        await stream.PutAsync([
            .. before.Select(e => (e.UserId, e.ToJson())),
            .. bad.Select(b => ("bad", b)),
            ("other", noId),
            ("when", when),
            .. after.Select(e => (e.UserId, e.ToJson())),
        ]);
        await using var consumer = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a"));

        await warehouse.WaitForEventCountAsync(before.Count + after.Count + 2, Patience, consumer);

        var letters = await warehouse.RowsAsync("SELECT payload, reason FROM dead_letters ORDER BY sequence_number::numeric");
        Assert.Equal(bad, letters.Select(l => (byte[])l[0]!));
        Assert.Contains("not UTF-8", (string)letters[0][1]!, StringComparison.Ordinal);
        Assert.Contains("not a JSON object", (string)letters[1][1]!, StringComparison.Ordinal);
        Assert.Contains("\\u0000", (string)letters[2][1]!, StringComparison.Ordinal);
        var ids = await warehouse.MessageIdsAsync();
        Assert.Superset(after.Select(e => e.MessageId).ToHashSet(), ids);
        var derived = Assert.Single(ids, id => id.StartsWith($"kinesis:{stream.Name}:", StringComparison.Ordinal));
        Assert.Equal("From Elsewhere", await warehouse.ScalarAsync<string>($"SELECT event FROM events WHERE message_id = '{derived}'"));

        // A time that is not one is no reason to lose the event: its column is NULL, the value kept as sent.
        Assert.Equal(
            """{"timestamp": "yesterday"}""",
            await warehouse.ScalarAsync<string>("""SELECT unparsed_times::text FROM events WHERE message_id = 'when' AND "timestamp" IS NULL"""));
    }

    [Fact]
    public async Task StartedFromAnotherFolderItReadsTheAppsettingsJsonBesideItsDll()
    {
        // As a systemd unit without WorkingDirectory, or a container without WORKDIR, would start it: every setting
        // is in the appsettings.json of a copy of the app, none on the command line, and the process runs in '/'.
        using var app = new TemporaryFolder("consumer-app-");
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(ConsumerProcess.AssemblyPath)!, "*", SearchOption.AllDirectories))
        {
            var copy = app.Combine(Path.GetRelativePath(Path.GetDirectoryName(ConsumerProcess.AssemblyPath)!, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("elsewhere"));
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "elsewhere");
        await File.WriteAllTextAsync(app.Combine("appsettings.json"), SettingsJson(settings));
        var events = TestEvent.Many(users: 3, perUser: 2, "elsewhere").ToList();
        await stream.PutEventsAsync(events);

        await using var consumer = ConsumerProcess.Start(app.Combine("Tracking.Consumer.dll"), new Dictionary<string, string>(), workingDirectory: "/");

        await warehouse.WaitForEventCountAsync(events.Count, Patience, consumer);
        Assert.Equal(events.Select(e => e.MessageId).ToHashSet(), await warehouse.MessageIdsAsync());
    }

    /// <summary>Flat <c>Section:Key</c> settings as the nested JSON of an appsettings.json.</summary>
    private static string SettingsJson(IReadOnlyDictionary<string, string> settings)
    {
        var root = new System.Text.Json.Nodes.JsonObject();
        foreach (var (key, value) in settings)
        {
            var node = root;
            var parts = key.Split(':');
            foreach (var part in parts[..^1])
            {
                node = (System.Text.Json.Nodes.JsonObject)(node[part] ??= new System.Text.Json.Nodes.JsonObject());
            }

            node[parts[^1]] = value;
        }

        return root.ToJsonString();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
