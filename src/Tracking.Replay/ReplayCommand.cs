using System.Diagnostics;
using Amazon.S3;
using Tracking.Aws;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;
using Tracking.Replay.Archives;

namespace Tracking.Replay;

/// <summary>
/// Reads the archive's hour folders that may hold the range, file by file and line by line (memory stays at one
/// request's worth), keeps the events received in the range, and puts them into the stream at the rate. Progress goes
/// to standard error every few seconds; the summary to standard output, saying exactly what was read, skipped, put and
/// not put.
/// </summary>
internal static class ReplayCommand
{
    /// <summary>How often progress is written.</summary>
    internal static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(
        IReadOnlyList<string> args,
        TextWriter output,
        TextWriter errors,
        TimeProvider time,
        CancellationToken cancellationToken,
        IKinesisClient? kinesis = null,
        IAmazonS3? s3 = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        var (options, problems) = ReplayOptions.Parse(args, Environment.GetEnvironmentVariable);
        if (options is null)
        {
            if (problems.Count == 0)
            {
                await output.WriteLineAsync(ReplayOptions.Usage);
                return 0;
            }

            foreach (var problem in problems)
            {
                await errors.WriteLineAsync($"Tracking.Replay: {problem}");
            }

            await errors.WriteLineAsync("Run with --help for the options.");
            return 2;
        }

        using var http = new HttpClient { Timeout = options.Kinesis.RequestTimeout };
        using var ownKinesis = kinesis is null && !options.DryRun ? new KinesisClient(http, options.Kinesis, timeProvider: time) : null;
        using var ownS3 = s3 is null && options.S3Bucket is not null ? S3Clients.Create(options.S3, credentials: null) : null;
        IArchive archive = options.Folder is not null
            ? new FolderArchive(options.Folder)
            : new S3Archive(s3 ?? ownS3!, options.S3Bucket!, options.S3Prefix);

        var summary = new ReplaySummary();
        var sender = new ReplaySender(kinesis ?? (IKinesisClient?)ownKinesis ?? NoStream.Instance, options, summary, time);
        var started = time.GetTimestamp();
        var lastProgress = started;
        try
        {
            foreach (var hour in ArchiveHours.Covering(options.From, options.To, options.Late))
            {
                await foreach (var file in archive.FilesAsync(hour, cancellationToken))
                {
                    summary.Files++;
                    await using var stream = await archive.OpenAsync(file, cancellationToken);
                    await foreach (var line in NdjsonLines.ReadAsync(stream, cancellationToken))
                    {
                        summary.Lines++;
                        var (archived, problem) = ArchivedEvent.Parse(line);
                        if (archived is null)
                        {
                            summary.Unreadable[problem!] = summary.Unreadable.GetValueOrDefault(problem!) + 1;
                            continue;
                        }

                        if (archived.ReceivedAt < options.From || archived.ReceivedAt >= options.To)
                        {
                            summary.OutOfRange++;
                            continue;
                        }

                        summary.InRange++;
                        await sender.AddAsync(archived, cancellationToken);
                        if (time.GetElapsedTime(lastProgress) >= ProgressInterval)
                        {
                            lastProgress = time.GetTimestamp();
                            await errors.WriteLineAsync($"replay: {hour:yyyy-MM-dd HH}:00, {summary.Files} files, {summary.InRange} events in range, {summary.Put} put, {summary.Failed} failed");
                        }
                    }
                }
            }

            await sender.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            summary.StoppedBecause = "interrupted; events after the last one put were not replayed (running the same range again is safe)";
        }
        catch (Exception exception) when (exception is AwsServiceException or HttpRequestException or IOException or InvalidDataException or Amazon.Runtime.AmazonClientException or UnauthorizedAccessException or TimeoutException or OperationCanceledException)
        {
            summary.StoppedBecause = $"{exception.GetType().Name}: {exception.Message}";
        }

        await output.WriteLineAsync(summary.Describe(options, time.GetElapsedTime(started)));
        if (summary.StoppedBecause is null && summary.Files == 0)
        {
            // Most often a wrong --archive (a prefix, a folder): say where it looked rather than report an empty success.
            var first = ArchiveHours.Covering(options.From, options.To, options.Late).First();
            var where = archive is S3Archive s3Archive
                ? string.Join(" and ", s3Archive.Folders(first).Select(f => $"s3://{options.S3Bucket}/{f}"))
                : Path.Combine(options.Folder!, ArchiveHours.Folder(first));
            await errors.WriteLineAsync($"Tracking.Replay: no archive file in any hour folder of the range; the first one looked in was {where}. Check --archive (for Firehose, the prefix exactly as the delivery stream has it).");
            return 2;
        }

        // The codes of every command here (Tracking.ServiceDefaults.HostStart): 3 when what the command line points at could not be used before
        // anything was put (no such stream, no access, the archive unreadable); 1 when some events were not put.
        return summary.StoppedBecause is null && summary.Failed == 0 ? 0
            : summary.StoppedBecause is not null && summary.Put == 0 && summary.Failed == 0 ? 3
            : 1;
    }

    /// <summary>Stands in for the stream in a dry run: nothing is put.</summary>
    private sealed class NoStream : IKinesisClient
    {
        public static readonly NoStream Instance = new();

        public Uri Endpoint { get; } = new("https://dry-run.invalid/");

        public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default) => throw new UnreachableException("a dry run puts nothing");

        public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default) => throw new UnreachableException();

        public Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default) => throw new UnreachableException();

        public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default) => throw new UnreachableException();

        public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default) => throw new UnreachableException();

        public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default) => throw new UnreachableException();

        public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default) => throw new UnreachableException();

        public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default) => throw new UnreachableException();

        public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default) => throw new UnreachableException();
    }
}
