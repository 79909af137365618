using System.Globalization;
using Microsoft.Extensions.Options;

namespace Tracking.Api.Delivery;

/// <summary>
/// Writes events as newline-delimited JSON. A file is written in <c>.inprogress/</c> as <c>….ndjson.partial</c>, flushed to
/// the OS after every batch, and on completion (size, age or shutdown) synced to disk and renamed
/// into <c>yyyy/MM/dd/HH/</c>: a file under its final name is always whole. Files left in
/// <c>.inprogress/</c> by a crash are completed at the next start, cut back to their last whole line.
/// </summary>
internal sealed partial class FileSink : IEventSink, IAsyncDisposable
{
    private const string InProgressFolder = ".inprogress";
    private const string NamePrefix = "events-";
    private const string TimeFormat = "yyyy-MM-dd-HH-mm-ss";

    // In-progress files carry another extension too, so a "**/*.ndjson" glob never sees a partial file.
    private const string PartialSuffix = ".partial";

    private readonly FileSinkOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FileSink> _logger;
    private readonly string _root;
    private readonly string _inProgress;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private OpenFile? _current;

    // Closed files whose move into the hour folder failed, oldest first.
    private readonly List<OpenFile> _unpublished = [];

    public FileSink(IOptions<FileSinkOptions> options, TimeProvider time, ILogger<FileSink> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _root = Path.GetFullPath(_options.Directory);
        _inProgress = Path.Combine(_root, InProgressFolder);
        System.IO.Directory.CreateDirectory(_inProgress);
        RecoverLeftovers();
    }

    public string Name => "File";

    /// <summary>The folder complete files appear in.</summary>
    public string Root => _root;

    public async Task<DeliveryResult> DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_current is not null && _time.GetUtcNow() - _current.OpenedAt >= _options.MaxFileAge)
            {
                CompleteAndLog();
            }

            var file = _current ??= Open();
            var before = file.Stream.Position;
            try
            {
                foreach (var e in batch)
                {
                    file.Stream.Write(e.Json);
                    file.Stream.WriteByte((byte)'\n');
                }

                // In the OS's hands now: a crash of this process no longer loses the batch.
                file.Stream.Flush();
            }
            catch
            {
                Abandon(file, before);
                throw;
            }

            // The batch is stored: a failure to complete the file must not make the batcher write it again.
            if (file.Stream.Position >= _options.MaxFileBytes)
            {
                CompleteAndLog();
            }

            return DeliveryResult.Delivered;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            CompleteAndLog();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync(CancellationToken.None);
        _gate.Dispose();
    }

    private OpenFile Open()
    {
        var openedAt = _time.GetUtcNow();
        var name = string.Create(CultureInfo.InvariantCulture, $"{NamePrefix}{openedAt.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}.ndjson");
        var path = Path.Combine(_inProgress, name + PartialSuffix);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 1 << 16);
        var file = new OpenFile(path, name, openedAt, stream);
        file.AgeTimer = _time.CreateTimer(static state => ((FileSink)((object[])state!)[0]).CompleteIfStill((OpenFile)((object[])state!)[1]), new object[] { this, file }, _options.MaxFileAge, Timeout.InfiniteTimeSpan);
        return file;
    }

    /// <summary>Completes an idle file when its age is up, so events never wait on traffic to become visible.</summary>
    private async void CompleteIfStill(OpenFile file)
    {
        try
        {
            await _gate.WaitAsync();
            try
            {
                if (ReferenceEquals(_current, file))
                {
                    CompleteAndLog();
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed at shutdown; DisposeAsync completed the file.
        }
        catch (Exception ex)
        {
            LogCompleteFailed(_logger, ex, _unpublished.Count);
        }
    }

    /// <summary>
    /// Closes the open file and moves every closed file into its hour folder. A file that cannot be moved now
    /// (disk full, a blocked folder) stays in <c>.inprogress/</c> and is tried again at every later completion,
    /// and at the next start at the latest; its events are already stored.
    /// </summary>
    private void CompleteAndLog()
    {
        try
        {
            Complete();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCompleteFailed(_logger, ex, _unpublished.Count);
        }
    }

    private void Complete()
    {
        if (_current is { } file)
        {
            _current = null;
            file.AgeTimer?.Dispose();
            bool empty;
            try
            {
                empty = file.Stream.Length == 0;
                file.Stream.Flush(flushToDisk: true);
            }
            finally
            {
                file.Stream.Dispose();
            }

            if (empty)
            {
                File.Delete(file.Path);
            }
            else
            {
                _unpublished.Add(file);
            }
        }

        while (_unpublished.Count > 0)
        {
            var next = _unpublished[0];
            Publish(next.Path, next.Name, next.OpenedAt);
            _unpublished.RemoveAt(0);
        }
    }

    /// <summary>Undoes a half-written batch so the retry does not leave a torn or doubled line.</summary>
    private void Abandon(OpenFile file, long before)
    {
        try
        {
            file.Stream.SetLength(before);
        }
        catch (IOException)
        {
            // Cannot cut it back: stop writing to it; recovery at the next start trims it to whole lines.
            _current = null;
            file.AgeTimer?.Dispose();
            try
            {
                file.Stream.Dispose();
            }
            catch (IOException)
            {
            }
        }
    }

    private void Publish(string path, string name, DateTimeOffset openedAt)
    {
        var utc = openedAt.UtcDateTime;
        var folder = Path.Combine(_root, utc.ToString("yyyy", CultureInfo.InvariantCulture), utc.ToString("MM", CultureInfo.InvariantCulture),
            utc.ToString("dd", CultureInfo.InvariantCulture), utc.ToString("HH", CultureInfo.InvariantCulture));
        System.IO.Directory.CreateDirectory(folder);
        File.Move(path, Path.Combine(folder, name));
    }

    private void RecoverLeftovers()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(_inProgress, NamePrefix + "*.ndjson" + PartialSuffix))
        {
            var name = Path.GetFileName(path)[..^PartialSuffix.Length];
            var length = TrimToLastLine(path);
            if (length == 0)
            {
                File.Delete(path);
                continue;
            }

            var openedAt = DateTime.TryParseExact(name.AsSpan(NamePrefix.Length, TimeFormat.Length), TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
                ? new DateTimeOffset(parsed, TimeSpan.Zero)
                : new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
            Publish(path, name, openedAt);
            LogRecoveredFile(_logger, name, length);
        }
    }

    private static long TrimToLastLine(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var buffer = new byte[4096];
        var end = stream.Length;
        while (end > 0)
        {
            var start = Math.Max(0, end - buffer.Length);
            stream.Position = start;
            stream.ReadExactly(buffer, 0, (int)(end - start));
            var newline = Array.LastIndexOf(buffer, (byte)'\n', (int)(end - start) - 1);
            if (newline >= 0)
            {
                stream.SetLength(start + newline + 1);
                stream.Flush(flushToDisk: true);
                return start + newline + 1;
            }

            end = start;
        }

        stream.SetLength(0);
        return 0;
    }

    private sealed class OpenFile(string path, string name, DateTimeOffset openedAt, FileStream stream)
    {
        public string Path { get; } = path;
        public string Name { get; } = name;
        public DateTimeOffset OpenedAt { get; } = openedAt;
        public FileStream Stream { get; } = stream;
        public ITimer? AgeTimer { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovered {File} ({Length} bytes) left in progress by an earlier run")]
    private static partial void LogRecoveredFile(ILogger logger, string file, long length);

    [LoggerMessage(Level = LogLevel.Error, Message = "Completing an outbox file failed; {Waiting} file(s) wait in .inprogress and are moved at the next completion or start")]
    private static partial void LogCompleteFailed(ILogger logger, Exception exception, int waiting);
}
