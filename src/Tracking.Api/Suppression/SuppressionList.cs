using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tracking.Api.Spool;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Suppression;

/// <summary>
/// The ids whose events are answered 200 and dropped before anything stores them. Kept in memory as an immutable
/// snapshot that screening reads without a lock (an empty list costs one field read per message), and in a file:
/// read at start (an unreadable file stops the start), replaced whole by write-then-rename on each change, and
/// checked every <see cref="SuppressionOptions.ReloadInterval"/> for changes made by another instance sharing it.
/// A change re-reads the file under an exclusive lock on <c>&lt;file&gt;.lock</c>, so two instances changing the
/// list at once do not lose each other's change.
/// </summary>
internal sealed partial class SuppressionList : IHostedService, IDisposable
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private readonly string _path;
    private readonly TimeSpan _reloadInterval;
    private readonly TimeProvider _time;
    private readonly ILogger<SuppressionList> _logger;
    private readonly SemaphoreSlim _changing = new(1, 1);
    private volatile Snapshot _current = Snapshot.Empty;
    private ITimer? _reload;

    public SuppressionList(IOptions<SuppressionOptions> options, IHostEnvironment environment, TimeProvider time, ILogger<SuppressionList> logger)
    {
        _path = AppFolder.Resolve(environment, options.Value.Path);
        _reloadInterval = options.Value.ReloadInterval;
        _time = time;
        _logger = logger;
    }

    /// <summary>The list's file, as a full path.</summary>
    public string FilePath => _path;

    public int Count => _current.Count;

    /// <summary>True when the message's userId or anonymousId is suppressed.</summary>
    public bool Suppresses(string? userId, string? anonymousId)
    {
        var current = _current;
        return current.Count > 0
            && ((userId is not null && current.UserIds.ContainsKey(userId)) || (anonymousId is not null && current.AnonymousIds.ContainsKey(anonymousId)));
    }

    public SuppressionListView List()
    {
        var current = _current;
        var ids = current.UserIds.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new SuppressedId(IdKind.UserId, e.Key, e.Value))
            .Concat(current.AnonymousIds.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new SuppressedId(IdKind.AnonymousId, e.Key, e.Value)))
            .ToList();
        return new SuppressionListView(ids.Count, ids);
    }

    /// <summary>Suppresses <paramref name="id"/>; when it already is, keeps it as it was. Returns its entry and whether it was added now.</summary>
    public async Task<(SuppressedId Entry, bool Added)> AddAsync(IdKind kind, string id, CancellationToken cancellationToken)
    {
        SuppressedId? entry = null;
        var added = false;
        await ChangeAsync(
            file =>
            {
                var entries = kind == IdKind.UserId ? file.UserIds : file.AnonymousIds;
                if (entries.Find(e => e.Id == id) is { } existing)
                {
                    entry = new SuppressedId(kind, id, existing.Since);
                    return false;
                }

                entry = new SuppressedId(kind, id, _time.GetUtcNow());
                entries.Add(new SuppressionFile.Entry(id, entry.Since));
                added = true;
                return true;
            },
            cancellationToken);
        return (entry!, added);
    }

    /// <summary>Lifts the suppression of <paramref name="id"/>; false when it was not suppressed.</summary>
    public async Task<bool> RemoveAsync(IdKind kind, string id, CancellationToken cancellationToken)
    {
        var removed = false;
        await ChangeAsync(
            file =>
            {
                removed = (kind == IdKind.UserId ? file.UserIds : file.AnonymousIds).RemoveAll(e => e.Id == id) > 0;
                return removed;
            },
            cancellationToken);
        return removed;
    }

    /// <summary>Reads the file again if it changed since it was last read; an unreadable file keeps the list as it is.</summary>
    public void ReloadIfChanged()
    {
        try
        {
            var stamp = Stamp();
            if (stamp != _current.Stamp)
            {
                var before = _current.Count;
                _current = Read();
                LogReloaded(_logger, _path, before, _current.Count);
            }
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            LogReloadFailed(_logger, ex, _path);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            _current = Read();
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new StartRefusedException($"The suppression list {_path} ({SuppressionOptions.Section}:Path) cannot be read: {ex.Message}", ex);
        }

        if (_current.Count > 0)
        {
            LogLoaded(_logger, _current.Count, _path);
        }

        if (_reloadInterval > TimeSpan.Zero)
        {
            _reload = _time.CreateTimer(_ => ReloadIfChanged(), null, _reloadInterval, _reloadInterval);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _reload?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _reload?.Dispose();
        _changing.Dispose();
    }

    private async Task ChangeAsync(Func<SuppressionFile, bool> change, CancellationToken cancellationToken)
    {
        await _changing.WaitAsync(cancellationToken);
        try
        {
            using var exclusive = await LockAsync(cancellationToken);

            // What another instance wrote since the last reload counts: change the file, not the copy in memory.
            var file = ReadFile() ?? new SuppressionFile([], []);
            if (change(file))
            {
                Write(file);
            }

            _current = Snapshot.Of(file, Stamp());
        }
        finally
        {
            _changing.Release();
        }
    }

    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix: it holds across processes and machines that honour it.
                return new FileStream(_path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (_time.GetElapsedTime(started) < LockTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(25), _time, cancellationToken);
            }
        }
    }

    private void Write(SuppressionFile file)
    {
        var temporary = $"{_path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, file, SuppressionJsonContext.Default.SuppressionFile);
                stream.Flush(flushToDisk: true);
            }

            // rename(2) replaces the old file in one step: a reader sees the old list or the new one, never half of either.
            File.Move(temporary, _path, overwrite: true);
            DirectorySync.Sync(Path.GetDirectoryName(_path)!);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private Snapshot Read()
    {
        var stamp = Stamp();
        return ReadFile() is { } file ? Snapshot.Of(file, stamp) : Snapshot.Empty;
    }

    private SuppressionFile? ReadFile()
    {
        if (!File.Exists(_path))
        {
            return null;
        }

        using var stream = File.OpenRead(_path);
        var file = JsonSerializer.Deserialize(stream, SuppressionJsonContext.Default.SuppressionFile)
            ?? throw new JsonException("The file holds null, not a suppression list.");
        return new SuppressionFile(file.UserIds ?? [], file.AnonymousIds ?? []);
    }

    private (DateTime, long) Stamp()
    {
        var info = new FileInfo(_path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} ids are suppressed (list in {Path}): their events are answered 200 and not stored")]
    private static partial void LogLoaded(ILogger logger, int count, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "The suppression list {Path} changed: {Before} ids before, {After} now")]
    private static partial void LogReloaded(ILogger logger, string path, int before, int after);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The suppression list {Path} changed but cannot be read; keeping the list as it was and trying again")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception, string path);

    private sealed record Snapshot(FrozenDictionary<string, DateTimeOffset> UserIds, FrozenDictionary<string, DateTimeOffset> AnonymousIds, (DateTime, long) Stamp)
    {
        public static readonly Snapshot Empty = new(FrozenDictionary<string, DateTimeOffset>.Empty, FrozenDictionary<string, DateTimeOffset>.Empty, default);

        public int Count { get; } = UserIds.Count + AnonymousIds.Count;

        public static Snapshot Of(SuppressionFile file, (DateTime, long) stamp) => new(
            file.UserIds.DistinctBy(e => e.Id, StringComparer.Ordinal).ToFrozenDictionary(e => e.Id, e => e.Since, StringComparer.Ordinal),
            file.AnonymousIds.DistinctBy(e => e.Id, StringComparer.Ordinal).ToFrozenDictionary(e => e.Id, e => e.Since, StringComparer.Ordinal),
            stamp);
    }
}
