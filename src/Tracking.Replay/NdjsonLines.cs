using System.IO.Pipelines;
using System.Buffers;
using System.Runtime.CompilerServices;

namespace Tracking.Replay;

/// <summary>The lines of a newline-delimited file, each without its line break; blank lines are skipped.</summary>
internal static class NdjsonLines
{
    /// <summary>The longest line read: an event is at most 64 KB once enriched; anything longer is not one of ours.</summary>
    internal const int MaxLineBytes = 1024 * 1024;

    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                while (TryLine(ref buffer, out var line))
                {
                    if (!IsBlank(line))
                    {
                        yield return line;
                    }
                }

                if (result.IsCompleted)
                {
                    // A last line without its line break (a file cut short) is still read; a partial event fails to parse and is counted.
                    if (!buffer.IsEmpty && !IsBlank(buffer.ToArray()))
                    {
                        yield return buffer.ToArray();
                    }

                    break;
                }

                if (buffer.Length > MaxLineBytes)
                {
                    throw new InvalidDataException($"a line is longer than {MaxLineBytes} bytes: this is not an archive of events");
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static bool TryLine(ref ReadOnlySequence<byte> buffer, out ReadOnlyMemory<byte> line)
    {
        var position = buffer.PositionOf((byte)'\n');
        if (position is null)
        {
            line = default;
            return false;
        }

        var slice = buffer.Slice(0, position.Value);
        line = slice.ToArray().AsMemory().TrimEnd((byte)'\r');
        buffer = buffer.Slice(buffer.GetPosition(1, position.Value));
        return true;
    }

    private static bool IsBlank(ReadOnlyMemory<byte> line) => line.Span.Trim(" \t\r"u8).IsEmpty;
}
