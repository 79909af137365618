using System.Globalization;

namespace Tracking.Api.Spool;

/// <summary>
/// The segment files, in position order: how they are named (after the position of their first frame), the one being
/// written and its rotation, and deleting the first ones once every event in them is acknowledged. The last segment is
/// the write segment; every earlier one is sealed.
/// </summary>
internal sealed partial class SegmentFiles : IDisposable
{
    private const string Prefix = "segment-";
    private const string Suffix = ".spool";

    private readonly string _directory;
    private readonly bool _syncDirectory;
    private readonly ILogger _logger;

    // In position order; guarded by itself.
    private readonly List<Segment> _segments = [];

    // Only the writer touches the write file: appends, cut-backs and rotation are never concurrent.
    private FileStream _writeFile = null!;

    /// <param name="directory">The spool's folder.</param>
    /// <param name="syncDirectory">Sync the folder after creating a segment, so the file itself survives a crash (<see cref="Durability.Fsync"/>).</param>
    /// <param name="segmentBytes">The size past which the write segment is sealed and the next one started.</param>
    /// <param name="logger">Where rotation and deletion failures are reported.</param>
    public SegmentFiles(string directory, bool syncDirectory, long segmentBytes, ILogger logger)
    {
        _directory = directory;
        _syncDirectory = syncDirectory;
        SegmentBytes = segmentBytes;
        _logger = logger;
    }

    /// <summary>
    /// Held while a group is committed (a segment's committed length, sealing, which segment is written) and while the
    /// tail hands events over or is switched on, so "the reader has caught up" and "handed to the tail" agree.
    /// </summary>
    public object CommitGate { get; } = new();

    /// <summary>Past this many bytes the write segment is sealed and the next one started.</summary>
    public long SegmentBytes { get; }

    /// <summary>The segment being written; changed under <see cref="CommitGate"/>.</summary>
    public Segment WriteSegment { get; private set; } = null!;

    public int Count
    {
        get
        {
            lock (_segments)
            {
                return _segments.Count;
            }
        }
    }

    /// <summary>The segment files a previous run left in <paramref name="directory"/>, in position order.</summary>
    public static List<(string Path, long First)> Existing(string directory) =>
        Directory.EnumerateFiles(directory, Prefix + "*" + Suffix)
            .Select(path => (Path: path, First: long.TryParse(Path.GetFileName(path)[Prefix.Length..^Suffix.Length], CultureInfo.InvariantCulture, out var first) ? first : -1))
            .Where(f => f.First >= 0)
            .OrderBy(f => f.First)
            .ToList();

    /// <summary>A segment kept at start-up: sealed, before the write segment.</summary>
    public void AddRecovered(Segment segment)
    {
        lock (_segments)
        {
            _segments.Add(segment);
        }
    }

    /// <summary>Starts the first write segment, at <paramref name="first"/>.</summary>
    public void OpenWriteSegment(long first)
    {
        var path = PathOf(first);
        _writeFile = Create(path);
        WriteSegment = new Segment(first, path, 0);
        lock (_segments)
        {
            _segments.Add(WriteSegment);
        }
    }

    public Segment? First()
    {
        lock (_segments)
        {
            return _segments.Count > 0 ? _segments[0] : null;
        }
    }

    public Segment? After(Segment current)
    {
        lock (_segments)
        {
            return _segments.Find(s => s.First > current.First);
        }
    }

    /// <summary>Appends framed bytes to the write segment; with <paramref name="sync"/> returns once they are on the disk.</summary>
    public void Append(byte[] buffer, int count, bool sync)
    {
        _writeFile.Write(buffer, 0, count);
        if (sync)
        {
            _writeFile.Flush(flushToDisk: true);
        }
    }

    /// <summary>Cuts the write file back to <paramref name="segment"/>'s committed frames after a failed write.</summary>
    public void CutBack(Segment segment)
    {
        _writeFile.SetLength(segment.Length);
        _writeFile.Position = segment.Length;
    }

    /// <summary>Whether the write file holds <paramref name="segment"/>'s committed frames and nothing else (a cut-back worked).</summary>
    public bool HoldsOnlyCommitted(Segment segment) => segment.Length > 0 && Volatile.Read(ref segment.Length) == _writeFile.Length;

    /// <summary>
    /// Seals <paramref name="segment"/> and starts the next one at <paramref name="nextPosition"/>; when it cannot be
    /// created the current one stays open and a later group tries again. Called by the writer only.
    /// </summary>
    public void TrySealAndOpenNext(Segment segment, long nextPosition)
    {
        var path = PathOf(nextPosition);
        FileStream next;
        try
        {
            next = Create(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRotationFailed(_logger, ex, path);
            return;
        }

        _writeFile.Dispose();
        _writeFile = next;
        var opened = new Segment(nextPosition, path, 0);
        lock (_segments)
        {
            _segments.Add(opened);
        }

        lock (CommitGate)
        {
            segment.Sealed = true;
            WriteSegment = opened;
        }
    }

    /// <summary>
    /// Deletes the first segments while every position in them is below <paramref name="watermark"/> (all acknowledged).
    /// A segment that cannot be deleted stays, still counted, and is tried again next time.
    /// </summary>
    /// <returns>How many segments were deleted and their bytes.</returns>
    public (int Segments, long Bytes) DeleteBelow(long watermark)
    {
        var deleted = 0;
        long bytes = 0;
        while (true)
        {
            Segment first;
            lock (_segments)
            {
                // The first segment holds the positions below the second's first one: all acknowledged when the watermark has passed it.
                if (_segments.Count < 2 || !_segments[0].Sealed || _segments[1].First > watermark)
                {
                    break;
                }

                first = _segments[0];
                _segments.RemoveAt(0);
            }

            try
            {
                File.Delete(first.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                lock (_segments)
                {
                    _segments.Insert(0, first);
                }

                LogDeleteFailed(_logger, ex, first.Path);
                break;
            }

            deleted++;
            bytes += first.Length;
        }

        return (deleted, bytes);
    }

    public void Dispose() => _writeFile?.Dispose();

    private string PathOf(long first) => Path.Combine(_directory, Prefix + first.ToString("D20", CultureInfo.InvariantCulture) + Suffix);

    private FileStream Create(string path)
    {
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        try
        {
            if (_syncDirectory)
            {
                DirectorySync.Sync(_directory);
            }
        }
        catch
        {
            file.Dispose();
            File.Delete(path);
            throw;
        }

        return file;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not start the spool segment {Path}; writing on in the current one")]
    private static partial void LogRotationFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the delivered spool segment {Path}; trying again later")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, string path);
}
