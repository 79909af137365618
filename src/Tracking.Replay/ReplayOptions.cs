using System.Globalization;
using Tracking.Aws;
using Tracking.Aws.Kinesis;

namespace Tracking.Replay;

/// <summary>What to replay, from where, into which stream, how fast: parsed from the command line, every error collected.</summary>
internal sealed class ReplayOptions
{
    /// <summary>The default of <see cref="RecordsPerSecond"/>: half of one shard's 1,000 records/s, so a replay into a
    /// one-shard stream leaves room for live traffic.</summary>
    public const int DefaultRecordsPerSecond = 500;

    /// <summary>The most <see cref="RecordsPerSecond"/> may be: 100 shards' worth.</summary>
    public const int MaxRecordsPerSecond = 100_000;

    /// <summary>The default of <see cref="BytesPerSecond"/>: half of one shard's 1 MiB/s, for the same reason.</summary>
    public const int DefaultBytesPerSecond = 512 * 1024;

    /// <summary>The most <see cref="BytesPerSecond"/> may be: 100 shards' worth.</summary>
    public const int MaxBytesPerSecond = 100 * 1024 * 1024;

    /// <summary>The default of <see cref="Late"/>.</summary>
    public static readonly TimeSpan DefaultLate = TimeSpan.FromHours(1);

    public const string Usage = """
        Replays archived events received in [--from, --to) into a Kinesis stream, at a bounded rate. The consumer
        deduplicates by messageId, so a replay is safe to repeat: what the warehouse already holds adds no row.

        Usage: Tracking.Replay --from TIME --to TIME --archive FOLDER|s3://BUCKET/PREFIX --stream NAME [options]

          --from TIME          first receivedAt replayed (ISO 8601 with an offset or Z, e.g. 2026-11-01T00:00:00Z)
          --to TIME            end of the range, exclusive
          --archive WHERE      the File sink's folder (its yyyy/MM/dd/HH/*.ndjson), or s3://bucket/prefix where Firehose
                               writes the same hour layout (gzip objects are read too); the prefix as in the delivery
                               stream: Firehose puts the hour right after it, so events- reads events-2026/11/01/...,
                               and a prefix without a trailing / is also read as a folder (events reads events/2026/...)
          --stream NAME        the Kinesis stream to put the events into
          --rate N             records per second, at most (default 500; 1 to 100000)
          --byte-rate N        bytes per second, at most (default 524288, half of a shard's 1 MiB/s; 1024 to 104857600)
          --late DURATION      how long after its receipt an event may have been written (a sink outage delays it into
                               later hour folders); folders up to this long after --to are read (default 01:00:00)
          --region REGION      AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION)
          --kinesis-url URL    a Kinesis endpoint other than AWS's (an emulator, a VPC endpoint)
          --s3-url URL         an S3 endpoint other than AWS's
          --dry-run            read and count, put nothing
          --help               this text

        Exit codes: 0 every event in range was put; 1 some could not be put (the summary says how many); 2 the
        command line or the archive is unusable (no archive file for any hour of the range counts as unusable).
        """;

    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    /// <summary>A folder, or <see cref="S3Bucket"/> and <see cref="S3Prefix"/>.</summary>
    public string? Folder { get; init; }

    public string? S3Bucket { get; init; }

    public string S3Prefix { get; init; } = string.Empty;

    public required string Stream { get; init; }

    public int RecordsPerSecond { get; init; } = DefaultRecordsPerSecond;

    /// <summary>Record bytes (data and partition key) per second, at most: a shard takes 1 MiB/s however few records.</summary>
    public int BytesPerSecond { get; init; } = DefaultBytesPerSecond;

    public TimeSpan Late { get; init; } = DefaultLate;

    public bool DryRun { get; init; }

    public required AwsClientSettings Kinesis { get; init; }

    public required AwsClientSettings S3 { get; init; }

    /// <summary>Where the events come from, for messages.</summary>
    public string ArchiveName => Folder ?? $"s3://{S3Bucket}/{S3Prefix}";

    /// <summary>The options, or every error that stops them; <c>(null, [])</c> when help was asked for.</summary>
    public static (ReplayOptions? Options, IReadOnlyList<string> Errors) Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        var errors = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        string[] valued = ["--from", "--to", "--archive", "--stream", "--rate", "--byte-rate", "--late", "--region", "--kinesis-url", "--s3-url"];
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                return (null, []);
            }

            if (arg == "--dry-run")
            {
                flags.Add(arg);
            }
            else if (valued.Contains(arg))
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    errors.Add($"{arg} needs a value.");
                }
                else if (!values.TryAdd(arg, args[++i]))
                {
                    errors.Add($"{arg} is given twice.");
                }
            }
            else
            {
                errors.Add($"'{arg}' is not an option (see --help).");
            }
        }

        var from = Time(values, "--from", errors);
        var to = Time(values, "--to", errors);
        if (from is { } f && to is { } t && f >= t)
        {
            errors.Add($"--from ({f:O}) must be before --to ({t:O}).");
        }

        string? folder = null, bucket = null, prefix = string.Empty;
        if (!values.TryGetValue("--archive", out var archive))
        {
            errors.Add("--archive is required: the File sink's folder or s3://bucket/prefix.");
        }
        else if (archive.StartsWith("s3://", StringComparison.Ordinal))
        {
            var rest = archive["s3://".Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            bucket = slash < 0 ? rest : rest[..slash];
            prefix = slash < 0 ? string.Empty : rest[(slash + 1)..];
            if (bucket.Length is < 3 or > 63)
            {
                errors.Add($"--archive {archive}: an S3 bucket name has 3 to 63 characters.");
            }
        }
        else if (!Directory.Exists(archive))
        {
            errors.Add($"--archive {archive}: no such folder.");
        }
        else
        {
            folder = Path.GetFullPath(archive);
        }

        if (!values.TryGetValue("--stream", out var stream))
        {
            errors.Add("--stream is required.");
        }
        else if (!KinesisLimits.IsStreamName(stream))
        {
            errors.Add($"--stream '{stream}' is not a Kinesis stream name (1 to 128 of A-Z a-z 0-9 _ . -).");
        }

        var rate = DefaultRecordsPerSecond;
        if (values.TryGetValue("--rate", out var rateText)
            && (!int.TryParse(rateText, NumberStyles.None, CultureInfo.InvariantCulture, out rate) || rate is < 1 or > MaxRecordsPerSecond))
        {
            errors.Add($"--rate '{rateText}' must be a whole number of records per second from 1 to {MaxRecordsPerSecond} (a shard takes 1,000).");
        }

        var byteRate = DefaultBytesPerSecond;
        if (values.TryGetValue("--byte-rate", out var byteRateText)
            && (!int.TryParse(byteRateText, NumberStyles.None, CultureInfo.InvariantCulture, out byteRate) || byteRate is < 1024 or > MaxBytesPerSecond))
        {
            errors.Add($"--byte-rate '{byteRateText}' must be a whole number of bytes per second from 1024 to {MaxBytesPerSecond} (a shard takes 1048576).");
        }

        var late = DefaultLate;
        if (values.TryGetValue("--late", out var lateText)
            && (!TimeSpan.TryParse(lateText, CultureInfo.InvariantCulture, out late) || late < TimeSpan.Zero || late > TimeSpan.FromDays(30)))
        {
            errors.Add($"--late '{lateText}' must be a duration from 00:00:00 to 30.00:00:00 (days.hours:minutes:seconds).");
        }

        var region = values.GetValueOrDefault("--region") ?? AwsClientSettings.DefaultRegion(environment);
        // One attempt per call: the sender retries every failed put itself (ReplaySender.Retries), so the client must not too.
        var kinesis = new AwsClientSettings { Region = region, ServiceUrl = Url(values, "--kinesis-url", errors), Retry = new() { MaxAttempts = 1 } };
        var s3 = new AwsClientSettings { Region = region, ServiceUrl = Url(values, "--s3-url", errors) };
        if (!flags.Contains("--dry-run") || bucket is not null)
        {
            if (region is null)
            {
                errors.Add("No AWS region: give --region, or set AWS_REGION (or AWS_DEFAULT_REGION).");
            }
            else if (!AwsClientSettings.IsRegionName(region))
            {
                errors.Add($"--region '{region}' is not an AWS region such as eu-west-1.");
            }
        }

        if (errors.Count > 0)
        {
            return (null, errors.Distinct().ToList());
        }

        return (new ReplayOptions
        {
            From = from!.Value,
            To = to!.Value,
            Folder = folder,
            S3Bucket = bucket,
            S3Prefix = prefix,
            Stream = stream!,
            RecordsPerSecond = rate,
            BytesPerSecond = byteRate,
            Late = late,
            DryRun = flags.Contains("--dry-run"),
            Kinesis = kinesis,
            S3 = s3,
        }, []);
    }

    private static DateTimeOffset? Time(Dictionary<string, string> values, string name, List<string> errors)
    {
        if (!values.TryGetValue(name, out var text))
        {
            errors.Add($"{name} is required.");
            return null;
        }

        if (ArchivedEvent.TryParseTime(text, out var time))
        {
            return time;
        }

        errors.Add($"{name} '{text}' is not an ISO 8601 time with an offset, such as 2026-11-01T00:00:00Z.");
        return null;
    }

    private static Uri? Url(Dictionary<string, string> values, string name, List<string> errors)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return null;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            return url;
        }

        errors.Add($"{name} '{text}' must be an absolute http or https URL.");
        return null;
    }
}
