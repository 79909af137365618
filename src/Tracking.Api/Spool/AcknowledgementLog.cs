using System.Buffers.Binary;

namespace Tracking.Api.Spool;

/// <summary>
/// The spool's record of what sinks acknowledged: ranges of positions <c>[start, end)</c>, 16 bytes each,
/// appended as acknowledgements arrive and handed to the operating system at once (a process crash loses
/// none; a power loss may lose the last ones, which are then delivered again: at least once). Read back at
/// start-up so a restart does not resend what was delivered, and rewritten small when it has grown.
/// </summary>
internal sealed class AcknowledgementLog : IDisposable
{
    private const int RangeBytes = 16;
    private readonly string _path;
    private FileStream _file;

    public AcknowledgementLog(string directory)
    {
        _path = Path.Combine(directory, "acknowledged.log");
        _file = Open(_path);
    }

    public long Bytes => _file.Length;

    /// <summary>The ranges recorded so far, merged and in order; a torn last range is ignored.</summary>
    public List<(long Start, long End)> Read()
    {
        var bytes = File.ReadAllBytes(_path);
        var ranges = new List<(long Start, long End)>(bytes.Length / RangeBytes);
        for (var at = 0; at + RangeBytes <= bytes.Length; at += RangeBytes)
        {
            var start = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at));
            var end = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + 8));
            if (start >= 0 && end > start)
            {
                ranges.Add((start, end));
            }
        }

        return Merge(ranges);
    }

    /// <summary>Appends the ranges <paramref name="positions"/> form (sorted here).</summary>
    public void Append(List<long> positions)
    {
        positions.Sort();
        Span<byte> buffer = stackalloc byte[RangeBytes * 32];
        var used = 0;
        for (var i = 0; i < positions.Count;)
        {
            var start = positions[i];
            var end = start + 1;
            for (i++; i < positions.Count && positions[i] <= end; i++)
            {
                end = Math.Max(end, positions[i] + 1);
            }

            BinaryPrimitives.WriteInt64LittleEndian(buffer[used..], start);
            BinaryPrimitives.WriteInt64LittleEndian(buffer[(used + 8)..], end);
            used += RangeBytes;
            if (used == buffer.Length)
            {
                _file.Write(buffer);
                used = 0;
            }
        }

        _file.Write(buffer[..used]);
    }

    /// <summary>Replaces the log with <paramref name="ranges"/> (written aside, synced, then renamed over it).</summary>
    public void Rewrite(IEnumerable<(long Start, long End)> ranges)
    {
        var temporary = _path + ".new";
        try
        {
            using var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 0);
            Span<byte> range = stackalloc byte[RangeBytes];
            foreach (var (start, end) in ranges)
            {
                BinaryPrimitives.WriteInt64LittleEndian(range, start);
                BinaryPrimitives.WriteInt64LittleEndian(range[8..], end);
                file.Write(range);
            }

            file.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            File.Delete(temporary);
            throw;
        }

        // Renamed while the old one is still open: if the rename fails, appends go on into the old log.
        File.Move(temporary, _path, overwrite: true);
        _file.Dispose();
        _file = Open(_path);
    }

    public void Dispose() => _file.Dispose();

    internal static List<(long Start, long End)> Merge(List<(long Start, long End)> ranges)
    {
        ranges.Sort();
        var merged = new List<(long Start, long End)>(ranges.Count);
        foreach (var (start, end) in ranges)
        {
            if (merged.Count > 0 && start <= merged[^1].End)
            {
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, end));
            }
            else
            {
                merged.Add((start, end));
            }
        }

        return merged;
    }

    // Unbuffered: every append reaches the operating system before Acknowledge returns.
    private static FileStream Open(string path) => new(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
}
