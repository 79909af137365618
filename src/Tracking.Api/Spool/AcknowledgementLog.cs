using System.Buffers.Binary;
using System.IO.Hashing;

namespace Tracking.Api.Spool;

/// <summary>
/// The spool's record of what sinks acknowledged: ranges of positions <c>[start, end)</c> after an 8-byte
/// header, each range 20 bytes (start i64, end i64, CRC-32 of those 16 bytes), appended as acknowledgements
/// arrive and handed to the operating system at once (a process crash loses none; a power loss may lose the
/// last ones, which are then delivered again: at least once). Read back at start-up so a restart does not
/// resend what was delivered, and rewritten small when it has grown. A range whose checksum fails (a torn
/// write, garbage left by a crash) is ignored: its events are delivered again rather than taken as delivered.
/// A log written before the checksums (16-byte ranges, no header) is read as such and rewritten at start-up.
/// </summary>
internal sealed class AcknowledgementLog : IDisposable
{
    private const int RangeBytes = 20;
    private const int LegacyRangeBytes = 16;
    private static readonly byte[] Header = "TACKLOG2"u8.ToArray();
    private readonly string _path;
    private FileStream _file;
    // A log from before the checksums that could not be rewritten yet (a full disk at start-up): appended to as it is.
    private bool _legacy;

    public AcknowledgementLog(string directory)
    {
        _path = Path.Combine(directory, "acknowledged.log");
        _file = Open(_path);
        _legacy = _file.Length > 0 && !IsCurrent(_path);
    }

    public long Bytes => _file.Length;

    /// <summary>The ranges recorded so far, merged and in order; a torn last range, and any whose checksum fails, are ignored.</summary>
    public List<(long Start, long End)> Read()
    {
        var bytes = File.ReadAllBytes(_path);
        var legacy = bytes.Length > 0 && !bytes.AsSpan().StartsWith(Header);
        var size = legacy ? LegacyRangeBytes : RangeBytes;
        var ranges = new List<(long Start, long End)>(bytes.Length / size);
        for (var at = legacy ? 0 : Header.Length; at + size <= bytes.Length; at += size)
        {
            var record = bytes.AsSpan(at, size);
            if (!legacy && Crc32.HashToUInt32(record[..16]) != BinaryPrimitives.ReadUInt32LittleEndian(record[16..]))
            {
                continue;
            }

            var start = BinaryPrimitives.ReadInt64LittleEndian(record);
            var end = BinaryPrimitives.ReadInt64LittleEndian(record[8..]);
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
        var size = _legacy ? LegacyRangeBytes : RangeBytes;
        if (_file.Length == 0)
        {
            _file.Write(Header);
        }

        var used = 0;
        for (var i = 0; i < positions.Count;)
        {
            var start = positions[i];
            var end = start + 1;
            for (i++; i < positions.Count && positions[i] <= end; i++)
            {
                end = Math.Max(end, positions[i] + 1);
            }

            WriteRange(buffer[used..], start, end);
            used += size;
            if (used + RangeBytes > buffer.Length)
            {
                _file.Write(buffer[..used]);
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
            file.Write(Header);
            Span<byte> range = stackalloc byte[RangeBytes];
            foreach (var (start, end) in ranges)
            {
                WriteRange(range, start, end);
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
        _legacy = false;
    }

    public void Dispose() => _file.Dispose();

    private static bool IsCurrent(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0);
        Span<byte> start = stackalloc byte[8];
        return file.Read(start) == Header.Length && start.SequenceEqual(Header);
    }

    /// <summary>One range; its checksum follows it (ignored, and overwritten by the next, in a legacy log).</summary>
    private static void WriteRange(Span<byte> destination, long start, long end)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, start);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], end);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], Crc32.HashToUInt32(destination[..16]));
    }

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
