using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Events;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// Events a plan blocked (and known bots a source routes away), one enriched JSON line each in <c>quarantine.ndjson</c>: appended and synced to disk before
/// the API answers 200 (the promise a 200 makes), read by the admin endpoints, re-admitted into the main queue or
/// discarded. One lock orders appends and rewrites; blocked events are the exception, so one sync per request is
/// cheap enough. A torn last line (a crash mid-append, never answered 200) is cut off when the store opens.
/// </summary>
internal sealed partial class Quarantine : IDisposable
{
    public const string FileName = "quarantine.ndjson";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _path;
    private readonly long _maxBytes;
    private readonly ILogger<Quarantine> _logger;
    private FileStream? _file;

    public Quarantine(IOptions<QuarantineOptions> options, IHostEnvironment environment, ILogger<Quarantine> logger)
    {
        Folder = AppFolder.Resolve(environment, options.Value.Directory);
        _path = Path.Combine(Folder, FileName);
        _maxBytes = options.Value.MaxBytes;
        _logger = logger;
    }

    /// <summary>The folder, full path.</summary>
    public string Folder { get; }

    /// <summary>Bytes held now (0 before the first blocked event).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    private long _bytes;

    /// <summary>Appends <paramref name="events"/> durably; false (nothing written) when they would pass <see cref="QuarantineOptions.MaxBytes"/>.</summary>
    public async ValueTask<bool> AddAsync(IReadOnlyList<EnrichedEvent> events, CancellationToken cancellationToken)
    {
        var size = events.Sum(e => (long)e.SizeBytes + 1);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var file = Open();
            if (file.Length + size > _maxBytes)
            {
                LogFull(_maxBytes);
                return false;
            }

            var buffer = new byte[size];
            var at = 0;
            foreach (var e in events)
            {
                e.Json.CopyTo(buffer, at);
                at += e.SizeBytes;
                buffer[at++] = (byte)'\n';
            }

            // Not cancellable once started: a half-written request would be a torn line.
            await file.WriteAsync(buffer, CancellationToken.None);
            file.Flush(flushToDisk: true);
            Volatile.Write(ref _bytes, file.Length);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The quarantined events that <paramref name="selection"/> picks, oldest first, at most <paramref name="limit"/>, and how many it picks in all.</summary>
    public async Task<(List<JsonElement> Events, int Matching, int Total)> ReadAsync(QuarantineSelection selection, int limit, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Open();
            var events = new List<JsonElement>();
            var (matching, total) = (0, 0);
            using var reader = Reader();
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                total++;
                using var document = JsonDocument.Parse(line);
                if (selection.Picks(document.RootElement) && ++matching <= limit)
                {
                    events.Add(document.RootElement.Clone());
                }
            }

            return (events, matching, total);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Takes the events <paramref name="selection"/> picks out of the quarantine: each batch is handed to
    /// <paramref name="readmit"/> (null: discarded) and the file without them replaces the old one only after every batch
    /// was handed on. A crash in between leaves them in the quarantine too, so they can be re-admitted twice, never lost;
    /// the consumer deduplicates them by messageId. The file is streamed: memory holds one batch, not the quarantine.
    /// </summary>
    public async Task<QuarantineOutcome> TakeAsync(QuarantineSelection selection, Func<IReadOnlyList<EnrichedEvent>, ValueTask<bool>>? readmit, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Open();
            var next = _path + ".next";
            var (taken, kept) = (0, 0);
            var complete = true;
            var batch = new List<EnrichedEvent>(ReadmitBatch);
            using (var output = new FileStream(next, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
            {
                void Keep(byte[] line)
                {
                    output.Write(line);
                    output.WriteByte((byte)'\n');
                    kept++;
                }

                async ValueTask FlushAsync()
                {
                    if (batch.Count == 0)
                    {
                        return;
                    }

                    if (complete && (readmit is null || await readmit(batch)))
                    {
                        taken += batch.Count;
                    }
                    else
                    {
                        // Once the queue refuses a batch, the rest stays: re-admitting out of order gains nothing.
                        complete = false;
                        foreach (var e in batch)
                        {
                            Keep(e.Json);
                        }
                    }

                    batch.Clear();
                }

                using (var reader = Reader())
                {
                    // Not the request's token: a rewrite stopped half way would leave the taken events in the quarantine to be taken again.
                    while (await reader.ReadLineAsync(CancellationToken.None) is { } text)
                    {
                        var line = Encoding.UTF8.GetBytes(text);
                        using var document = JsonDocument.Parse(line);
                        if (!selection.Picks(document.RootElement))
                        {
                            Keep(line);
                            continue;
                        }

                        batch.Add(ToEvent(line, document.RootElement));
                        if (batch.Count == ReadmitBatch)
                        {
                            await FlushAsync();
                        }
                    }
                }

                await FlushAsync();
                output.Flush(flushToDisk: true);
            }

            Replace(next);
            return new QuarantineOutcome(taken, kept, complete);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A reader of the file's lines. Lines are valid UTF-8 without raw newlines (the API checked and compacted every event), so a line read as text turns back into the same bytes.</summary>
    private StreamReader Reader() =>
        new(new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024), Encoding.UTF8, detectEncodingFromByteOrderMarks: false);

    /// <summary>Re-admitted in batches of this many, well under any queue's capacity.</summary>
    private const int ReadmitBatch = 500;

    private static EnrichedEvent ToEvent(byte[] line, JsonElement root)
    {
        string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var anonymousId = Text(EventFields.AnonymousId);
        return new EnrichedEvent(line, Text(EventFields.MessageId) ?? "", anonymousId is { Length: > 0 } ? anonymousId : Text(EventFields.UserId) ?? "");
    }

    private FileStream Open()
    {
        if (_file is not null)
        {
            return _file;
        }

        Directory.CreateDirectory(Folder);
        var file = new FileStream(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        var torn = TornTail(file);
        if (torn > 0)
        {
            file.SetLength(file.Length - torn);
            file.Flush(flushToDisk: true);
            LogTorn(torn, _path);
        }

        file.Seek(0, SeekOrigin.End);
        Volatile.Write(ref _bytes, file.Length);
        _file = file;
        return file;
    }

    /// <summary>Bytes after the last newline: a line whose append never finished.</summary>
    private static long TornTail(FileStream file)
    {
        var length = file.Length;
        var buffer = new byte[4096];
        var end = length;
        while (end > 0)
        {
            var start = Math.Max(0, end - buffer.Length);
            file.Seek(start, SeekOrigin.Begin);
            file.ReadExactly(buffer, 0, (int)(end - start));
            var newline = Array.LastIndexOf(buffer, (byte)'\n', (int)(end - start) - 1);
            if (newline >= 0)
            {
                return length - (start + newline + 1);
            }

            end = start;
        }

        return length;
    }

    /// <summary>Renames <paramref name="next"/> (written and synced) over the file, and syncs the folder so the rename survives a crash.</summary>
    private void Replace(string next)
    {
        _file?.Dispose();
        _file = null;
        File.Move(next, _path, overwrite: true);
        Spool.DirectorySync.Sync(Folder);
        Open();
    }

    /// <summary>The refusal of a request with a blocked event while the quarantine is full: 503, so SDKs retry; nothing of it was accepted.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Full(HttpContext http, string retryAfterSeconds)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds;
        return TypedResults.Problem(
            "A tracking plan in Block mode keeps events of this request out of the main stream, and its quarantine is full (Tracking:Quarantine:MaxBytes) " +
            "until the operator re-admits or discards events; retry after the Retry-After seconds. Nothing from this request was accepted.",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Quarantine full");
    }

    public void Dispose()
    {
        _file?.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The quarantine is full ({MaxBytes} bytes, Tracking:Quarantine:MaxBytes): requests with a blocked event are answered 503 until events are re-admitted or discarded")]
    private partial void LogFull(long maxBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cut {Bytes} bytes of a torn last line off {Path} (an append a crash interrupted; it was never answered 200)")]
    private partial void LogTorn(long bytes, string path);
}
