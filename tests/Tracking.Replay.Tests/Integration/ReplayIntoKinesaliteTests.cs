using System.IO.Compression;
using System.Text;
using Amazon.Runtime;
using Amazon.S3.Model;
using Tracking.Aws;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;
using Tracking.Testing.Emulators;

namespace Tracking.Replay.Tests.Integration;

/// <summary>The replay command as an operator runs it: its own Kinesis client against kinesalite, the archive on disk or on S3 (s3rver).</summary>
public sealed class ReplayIntoKinesaliteTests(KinesaliteFixture kinesalite, S3rverFixture s3rver) : IClassFixture<KinesaliteFixture>, IClassFixture<S3rverFixture>, IDisposable
{
    private static readonly DateTimeOffset Ten = new(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ArchiveFolder _archive = new();

    // The command takes credentials from the standard chain, as it does for a user: the emulators' keys for this
    // class's tests (run one at a time), and what was there before afterwards.
    private readonly string? _keyId = SwapEnvironment("AWS_ACCESS_KEY_ID", S3rverFixture.AccessKey);
    private readonly string? _secret = SwapEnvironment("AWS_SECRET_ACCESS_KEY", S3rverFixture.SecretKey);

    public void Dispose()
    {
        _http.Dispose();
        _archive.Dispose();
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", _keyId);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", _secret);
    }

    private static string? SwapEnvironment(string name, string value)
    {
        var before = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
        return before;
    }

    private KinesisClient Client() => new(
        _http,
        new AwsClientSettings { Region = KinesaliteFixture.Region, ServiceUrl = kinesalite.ServiceUrl, Retry = new AwsRetryOptions { MaxAttempts = 5 } },
        new BasicAWSCredentials("AKIDEXAMPLE", "secret"));

    private async Task<string> StreamAsync(int shards)
    {
        var name = $"replay-{Guid.NewGuid():N}";
        using var client = Client();
        await client.CreateStreamAsync(new CreateStreamRequest { StreamName = name, ShardCount = shards });
        await client.WaitForStreamActiveAsync(name, TimeSpan.FromSeconds(30));
        return name;
    }

    private async Task<List<KinesisRecord>> ReadAllAsync(string stream)
    {
        using var client = Client();
        var records = new List<KinesisRecord>();
        foreach (var shard in await client.ListAllShardsAsync(stream))
        {
            var iterator = (await client.GetShardIteratorAsync(new GetShardIteratorRequest { StreamName = stream, ShardId = shard.ShardId, ShardIteratorType = ShardIteratorType.TrimHorizon })).ShardIterator;
            for (var empty = 0; empty < 2;)
            {
                var page = await client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator });
                records.AddRange(page.Records);
                empty = page.Records.Count == 0 ? empty + 1 : 0;
                iterator = page.NextShardIterator!;
            }
        }

        return records;
    }

    private static async Task<(int Exit, string Output)> ReplayAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ReplayCommand.RunAsync(args, output, errors, TimeProvider.System, CancellationToken.None);
        return (exit, output + errors.ToString());
    }

    private static string Id(KinesisRecord record) => System.Text.Json.JsonDocument.Parse(record.Data).RootElement.GetProperty("messageId").GetString()!;

    [Fact]
    public async Task TheRangesEventsFromTheFileSinksFoldersLandInTheStreamByteForByteUnderTheirUsersKey()
    {
        var stream = await StreamAsync(shards: 2);
        var lines = Enumerable.Range(0, 300).Select(i => ArchiveFolder.Event($"m-{i}", Ten.AddSeconds(i * 10), anonymousId: $"anon-{i % 7}")).ToList();
        _archive.Write(Ten, lines.Take(150));
        _archive.Write(Ten.AddMinutes(30), lines.Skip(150));
        _archive.Write(Ten.AddHours(-3), [ArchiveFolder.Event("old", Ten.AddHours(-3))]);

        var (exit, output) = await ReplayAsync(
            "--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T11:00:00Z", "--archive", _archive.Root, "--stream", stream,
            "--region", KinesaliteFixture.Region, "--kinesis-url", kinesalite.ServiceUrl.ToString(), "--rate", "1000");

        Assert.True(exit == 0, output);
        var records = await ReadAllAsync(stream);
        Assert.Equal(300, records.Count);
        Assert.Equal(lines.ToHashSet(), records.Select(r => Encoding.UTF8.GetString(r.Data.Span)).ToHashSet());
        Assert.All(records, r => Assert.Equal($"anon-{int.Parse(Id(r)[2..], System.Globalization.CultureInfo.InvariantCulture) % 7}", r.PartitionKey));
        Assert.Contains("in range 300: put 300, failed 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FirehosesGzipObjectsOnS3AreReplayedToo()
    {
        var stream = await StreamAsync(shards: 1);
        using var s3 = S3Clients.Create(new AwsClientSettings { Region = S3rverFixture.Region, ServiceUrl = s3rver.ServiceUrl }, new BasicAWSCredentials(S3rverFixture.AccessKey, S3rverFixture.SecretKey));
        var prefix = $"firehose-{Guid.NewGuid():N}";
        using var body = new MemoryStream();
        using (var gzip = new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(0, 20).Select(i => ArchiveFolder.Event($"s3-{i}", Ten.AddMinutes(i)))) + "\n"));
        }

        body.Position = 0;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = S3rverFixture.Bucket, Key = $"{prefix}/2026/11/01/10/events-to-s3-1-2026-11-01-10-00-00-abc.gz", InputStream = body, UseChunkEncoding = false });

        var (exit, output) = await ReplayAsync(
            "--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T10:10:00Z", "--archive", $"s3://{S3rverFixture.Bucket}/{prefix}", "--stream", stream,
            "--region", S3rverFixture.Region, "--kinesis-url", kinesalite.ServiceUrl.ToString(), "--s3-url", s3rver.ServiceUrl.ToString());

        Assert.True(exit == 0, output);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"s3-{i}").ToHashSet(), (await ReadAllAsync(stream)).Select(Id).ToHashSet());
        Assert.Contains("files read 1, lines 20", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFirehosePrefixWithoutASlashIsReadAsFirehoseWritesItAndAWrongOneExitsWithTwo()
    {
        var stream = await StreamAsync(shards: 1);
        using var s3 = S3Clients.Create(new AwsClientSettings { Region = S3rverFixture.Region, ServiceUrl = s3rver.ServiceUrl }, new BasicAWSCredentials(S3rverFixture.AccessKey, S3rverFixture.SecretKey));

        // Firehose puts the hour right after its prefix: "raw-" gives raw-2026/11/01/10/….
        var prefix = $"raw-{Guid.NewGuid():N}-";
        var lines = string.Join("\n", Enumerable.Range(0, 5).Select(i => ArchiveFolder.Event($"p-{i}", Ten.AddMinutes(i)))) + "\n";
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = S3rverFixture.Bucket, Key = $"{prefix}2026/11/01/10/events-1-2026-11-01-10-00-00-abc", ContentBody = lines, UseChunkEncoding = false });
        string[] common = ["--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T10:10:00Z", "--stream", stream, "--region", S3rverFixture.Region, "--kinesis-url", kinesalite.ServiceUrl.ToString(), "--s3-url", s3rver.ServiceUrl.ToString()];

        var (exit, output) = await ReplayAsync([.. common, "--archive", $"s3://{S3rverFixture.Bucket}/{prefix}"]);
        var (wrongExit, wrongOutput) = await ReplayAsync([.. common, "--archive", $"s3://{S3rverFixture.Bucket}/{prefix}nothing"]);

        Assert.True(exit == 0, output);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"p-{i}").ToHashSet(), (await ReadAllAsync(stream)).Select(Id).ToHashSet());
        Assert.Equal(2, wrongExit);
        Assert.Contains($"no archive file in any hour folder of the range; the first one looked in was s3://{S3rverFixture.Bucket}/{prefix}nothing2026/11/01/09/ and s3://{S3rverFixture.Bucket}/{prefix}nothing/2026/11/01/09/", wrongOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStreamThatDoesNotExistStopsTheReplayWithExitThreeAndSaysSo()
    {
        _archive.Write(Ten, [ArchiveFolder.Event("m-1", Ten)]);

        var (exit, output) = await ReplayAsync(
            "--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T11:00:00Z", "--archive", _archive.Root, "--stream", "no-such-stream",
            "--region", KinesaliteFixture.Region, "--kinesis-url", kinesalite.ServiceUrl.ToString());

        Assert.Equal(3, exit);
        Assert.Contains("stopped early: AwsResourceNotFoundException", output, StringComparison.Ordinal);
        Assert.Contains("put 0", output, StringComparison.Ordinal);
    }
}
