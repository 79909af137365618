using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>The Firehose → Redshift kit in <c>docs/</c>: generated from the consumer's column definition, and its
/// JSONPaths file checked against what the real API writes. (No Firehose stream or Redshift cluster runs here.)</summary>
public sealed partial class FirehoseRedshiftDocsTests
{
    private const string WriteKey = "firehose-docs-key";

    [Fact]
    public void FirehoseRedshiftDocsAreTheOnesGeneratedFromTheColumnDefinition()
    {
        var files = new Dictionary<string, string>
        {
            [RepositoryRoot.Combine("docs", "firehose-redshift.md")] = FirehoseRedshift.Document(),
            [RepositoryRoot.Combine("docs", FirehoseRedshift.JsonPathsFileName)] = FirehoseRedshift.JsonPaths(),
        };
        foreach (var (path, expected) in files)
        {
            if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
            {
                File.WriteAllText(path, expected);
            }

            Assert.True(File.Exists(path), $"{path} is missing; run UPDATE_DOCS=1 dotnet test tests/Tracking.Consumer.Tests --filter FirehoseRedshiftDocs");
            Assert.True(expected == File.ReadAllText(path), $"{path} is out of date; run UPDATE_DOCS=1 dotnet test tests/Tracking.Consumer.Tests --filter FirehoseRedshiftDocs");
        }
    }

    [Fact]
    public async Task TheJsonPathsFileGivesEveryColumnOfTheApisRealOutputTheValueTheConsumerLoads()
    {
        var folder = Directory.CreateTempSubdirectory("firehose-docs-");
        try
        {
            var lines = await ApiOutputAsync(folder.FullName);

            using var paths = JsonDocument.Parse(FirehoseRedshift.JsonPaths());
            var jsonPaths = paths.RootElement.GetProperty("jsonpaths").EnumerateArray().Select(p => p.GetString()!).ToList();
            var columns = FirehoseRedshift.DataTableColumns.Split(',').Select(c => c.Trim('"')).ToArray();
            Assert.Contains("\"timestamp\"", FirehoseRedshift.DataTableColumns, StringComparison.Ordinal);
            Assert.Equal(columns.Length, jsonPaths.Count);
            Assert.Equal(5, lines.Count);
            var unmapped = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in lines)
            {
                using var document = JsonDocument.Parse(line);
                var row = EventRecords.Parse("stream", "shard", new KinesisRecord { SequenceNumber = "1", PartitionKey = "k", Data = Encoding.UTF8.GetBytes(line) }).Row!;
                var mappedFields = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < columns.Length; i++)
                {
                    var column = EventColumns.All.Single(c => c.Name == columns[i]);
                    var field = Field(jsonPaths[i]);
                    mappedFields.Add(field);
                    var value = document.RootElement.TryGetProperty(field, out var found) && found.ValueKind != JsonValueKind.Null ? found : (JsonElement?)null;
                    var loaded = column.Value(row);
                    switch (column.Kind)
                    {
                        case ColumnKind.Timestamp:
                            Assert.Equal(loaded, value is { } time ? DateTimeOffset.Parse(time.GetString()!, CultureInfo.InvariantCulture).ToUniversalTime() : null);
                            break;
                        case ColumnKind.Json:
                            Assert.Equal(loaded, value?.GetRawText());
                            break;
                        default:
                            Assert.Equal(loaded, value is { ValueKind: JsonValueKind.String } text ? text.GetString() : value?.GetRawText());
                            break;
                    }
                }

                unmapped.UnionWith(document.RootElement.EnumerateObject().Select(p => p.Name).Where(n => !mappedFields.Contains(n)));
                Assert.NotNull(row.ReceivedAt);
                Assert.NotNull(row.Context);
                Assert.Equal("docs", row.Source);
            }

            // Neither path has a column for a page's or screen's category; everything else the API writes is mapped.
            Assert.Equal(["category"], unmapped.Order());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string Field(string jsonPath)
    {
        var match = JsonPathField().Match(jsonPath);
        Assert.True(match.Success, jsonPath);
        return match.Groups[1].Value;
    }

    /// <summary>Posts one event of each kind to the API with its file sink and returns the lines it wrote.</summary>
    private static async Task<List<string>> ApiOutputAsync(string folder)
    {
        var outbox = Path.Combine(folder, "outbox");
        await using var api = ConsumerProcess.Start(ConsumerProcess.ApiAssemblyPath, new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Tracking:Sink"] = "File",
            ["Tracking:File:Directory"] = outbox,
            ["Tracking:Spool:Directory"] = Path.Combine(folder, "spool"),
            [$"Tracking:WriteKeys:{WriteKey}"] = "docs",
        });
        var apiUrl = new Uri((await api.WaitForOutputAsync(ListeningLine(), TimeSpan.FromSeconds(60))).Groups[1].Value);
        using var http = new HttpClient { BaseAddress = apiUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{WriteKey}:")));
        const string Batch = """
            {"batch":[
              {"type":"track","messageId":"fh-1","userId":"u-1","event":"Order Completed","properties":{"total":12.5,"items":[{"sku":"a"}]},
               "context":{"locale":"fr-FR"},"integrations":{"All":true},"timestamp":"2026-11-30T05:59:58Z"},
              {"type":"identify","messageId":"fh-2","anonymousId":"anon-1","traits":{"email":"a@example.com","plan":"pro"}},
              {"type":"page","messageId":"fh-3","userId":"u-1","name":"Pricing","category":"Docs","properties":{"path":"/pricing"}},
              {"type":"group","messageId":"fh-4","userId":"u-1","groupId":"g-1","traits":{"name":"Acme"}},
              {"type":"alias","messageId":"fh-5","userId":"u-2","previousId":"anon-1"}
            ],"sentAt":"2026-11-30T06:00:00Z"}
            """;
        using var response = await http.PostAsync(new Uri("/v1/batch", UriKind.Relative), new StringContent(Batch, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var lines = new List<string>();
        await Eventually.TrueAsync(
            () =>
            {
                lines = Directory.Exists(outbox)
                    ? Directory.EnumerateFiles(outbox, "*", SearchOption.AllDirectories)
                        .SelectMany(f => File.ReadAllText(f).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                        .ToList()
                    : [];
                return lines.Count >= 5;
            },
            $"the batch's 5 events are in files in {outbox}",
            TimeSpan.FromSeconds(60),
            () => $"{lines.Count} lines{Environment.NewLine}{api.Output}");
        return lines;
    }

    [GeneratedRegex(@"^\$\['([^']+)'\]$")]
    private static partial Regex JsonPathField();

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
