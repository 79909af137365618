using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tracking.Api.Ingestion;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// Whatever whitespace a client sends (Swagger UI's indented JSON, CRLF, tabs), every record a sink
/// writes is one line of compact JSON, and every time in it has one format: JSON-lines readers,
/// Firehose's newline-separated records and warehouse COPY depend on both.
/// </summary>
public partial class RecordFormatTests
{
    private static readonly string[] Bodies =
    [
        "{\n  \"userId\": \"indented\",\n  \"event\": \"Pretty\",\n  \"messageId\": \"fmt-1\",\n  \"properties\": {\n    \"list\": [ 1, 2,\n 3 ],\n    \"text\": \"two  spaces\\nand an escaped newline\"\n  },\n  \"context\": { \"page\": { \"path\": \"/a b\" } },\n  \"channel\" :  \"server\",\n  \"timestamp\": \"2026-11-21T10:15:30Z\",\n  \"sentAt\": \"2026-11-21T10:15:31.5+00:00\"\n}",
        "{\r\n\t\"userId\":\t\"crlf\",\r\n\t\"event\":\"Tabbed\",\r\n\t\"messageId\":\"fmt-2\",\r\n\t\"traits\":{\r\n\t\t\"name\":\"Ada\"\r\n\t}\r\n}\r\n",
    ];

    private const string IndentedBatch = "{\n  \"batch\": [\n    {\n      \"type\": \"track\",\n      \"userId\": \"batch\",\n      \"event\": \"In Batch\",\n      \"messageId\": \"fmt-3\",\n      \"originalTimestamp\": \"2026-11-21T10:15:30.1234567Z\"\n    }\n  ],\n  \"context\": {\n    \"library\": { \"name\": \"analytics-node\" }\n  },\n  \"sentAt\": \"2026-11-21T10:15:31Z\"\n}";

    [Fact]
    public async Task IndentedCrlfAndTabLadenBodiesBecomeOneCompactLineInTheFileSink()
    {
        await using var api = new TrackingApiFactory();
        using var client = api.CreateAuthenticatedClient();

        await PostAllAsync(client);
        await api.ShutdownAsync();

        var lines = Directory.EnumerateFiles(api.OutboxDirectory, "*.ndjson", SearchOption.AllDirectories).SelectMany(File.ReadAllLines).ToList();
        Assert.Equal(3, lines.Count);
        AssertCompactRecords(lines.Select(Encoding.UTF8.GetBytes));
    }

    [Fact]
    public async Task IndentedCrlfAndTabLadenBodiesBecomeOneCompactRecordEachAgainstInTestKinesisServer()
    {
        await using var server = await InTestKinesisServer.StartAsync("events", shardCount: 1);
        await using var api = KinesisDeliveryAgainstInTestKinesisServerTests.StartApi(server);
        using var client = api.CreateAuthenticatedClient();

        await PostAllAsync(client);

        await Eventually.TrueAsync(() => server.Stored.Count == 3, "the three events are in the stream");
        AssertCompactRecords(server.Stored.Select(r => r.Data));
    }

    [Fact]
    public async Task IndentedCrlfAndTabLadenBodiesBecomeOneNewlineTerminatedRecordEachAgainstInTestFirehoseServer()
    {
        await using var server = await InTestFirehoseServer.StartAsync("events-to-s3");
        await using var api = FirehoseDeliveryAgainstInTestFirehoseServerTests.StartApi(server);
        using var client = api.CreateAuthenticatedClient();

        await PostAllAsync(client);

        await Eventually.TrueAsync(() => server.Stored.Count == 3, "the three events are in the delivery stream");
        Assert.All(server.Stored, record => Assert.Equal((byte)'\n', record[^1]));
        AssertCompactRecords(server.Stored.Select(r => r[..^1]));
    }

    private static async Task PostAllAsync(HttpClient client)
    {
        foreach (var body in Bodies)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/track", Http.Json(body))).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/batch", Http.Json(IndentedBatch))).StatusCode);
    }

    private static void AssertCompactRecords(IEnumerable<byte[]> records)
    {
        var events = new List<JsonObject>();
        foreach (var record in records)
        {
            var text = Encoding.UTF8.GetString(record);
            Assert.DoesNotContain('\n', text);
            Assert.DoesNotContain('\r', text);
            Assert.DoesNotContain('\t', text);
            Assert.False(JsonText.Scan(record).HasWhitespace, $"whitespace between tokens in {text}");
            var e = JsonNode.Parse(record)!.AsObject();
            foreach (var field in new[] { "timestamp", "originalTimestamp", "sentAt", "receivedAt" })
            {
                if (e[field] is { } time)
                {
                    Assert.Matches(MillisecondsUtc(), time.GetValue<string>());
                }
            }

            events.Add(e);
        }

        var byId = events.ToDictionary(e => e["messageId"]!.GetValue<string>());
        Assert.Equal("two  spaces\nand an escaped newline", byId["fmt-1"]["properties"]!["text"]!.GetValue<string>());
        Assert.Equal("/a b", byId["fmt-1"]["context"]!["page"]!["path"]!.GetValue<string>());
        Assert.Equal("server", byId["fmt-1"]["channel"]!.GetValue<string>());
        Assert.Equal("2026-11-21T10:15:30.000Z", byId["fmt-1"]["originalTimestamp"]!.GetValue<string>());
        Assert.Equal("2026-11-21T10:15:31.500Z", byId["fmt-1"]["sentAt"]!.GetValue<string>());
        Assert.Equal("Ada", byId["fmt-2"]["traits"]!["name"]!.GetValue<string>());
        Assert.Equal("analytics-node", byId["fmt-3"]["context"]!["library"]!["name"]!.GetValue<string>());
        Assert.Equal("2026-11-21T10:15:30.123Z", byId["fmt-3"]["originalTimestamp"]!.GetValue<string>());
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex MillisecondsUtc();
}
