using System.Buffers;
using System.Buffers.Text;

namespace Tracking.Api.Ingestion;

/// <summary>
/// One pass over a request's JSON text outside the parser: finds whitespace between tokens (which
/// must not reach the sinks, where a newline ends a record) and string escapes that name half of a
/// UTF-16 surrogate pair (which no warehouse can store and .NET cannot turn into a string).
/// </summary>
internal static class JsonText
{
    private static readonly SearchValues<byte> Outside = SearchValues.Create("\" \t\r\n"u8);
    private static readonly SearchValues<byte> Inside = SearchValues.Create("\"\\"u8);

    /// <summary>What a scan found.</summary>
    /// <param name="WhitespaceAt">Byte offset of the first whitespace between tokens (indented, CRLF or tab-laden JSON), or -1.</param>
    /// <param name="LoneSurrogateAt">Byte offset of a <c>\uD800</c>–<c>\uDFFF</c> escape that is not half of a pair, or -1.</param>
    public readonly record struct Findings(int WhitespaceAt, int LoneSurrogateAt)
    {
        /// <summary>Whitespace between tokens was found.</summary>
        public bool HasWhitespace => WhitespaceAt >= 0;
    }

    /// <summary>
    /// Reads <paramref name="json"/> without changing it. With <paramref name="stopAtWhitespace"/> it stops at the first
    /// whitespace between tokens, where <see cref="Compact"/> goes on (it finds lone surrogates too), so a body with
    /// whitespace is still read once.
    /// </summary>
    public static Findings Scan(ReadOnlySpan<byte> json, bool stopAtWhitespace = false)
    {
        var whitespaceAt = -1;
        var read = 0;
        while (read < json.Length)
        {
            var next = json[read..].IndexOfAny(Outside);
            if (next < 0)
            {
                break;
            }

            read += next;
            if (json[read] != (byte)'"')
            {
                if (whitespaceAt < 0)
                {
                    whitespaceAt = read;
                    if (stopAtWhitespace)
                    {
                        break;
                    }
                }

                read++;
                continue;
            }

            var (end, lone) = EndOfString(json, read);
            if (lone >= 0)
            {
                return new Findings(whitespaceAt, lone);
            }

            read = end;
        }

        return new Findings(whitespaceAt, -1);
    }

    /// <summary>
    /// Copies <paramref name="json"/> into <paramref name="destination"/> (at least as long) without the whitespace between
    /// tokens and returns the length written; text inside strings is untouched. <paramref name="joinsTokens"/> is set when
    /// whitespace stood between two bytes of numbers or literals (<c>1 2</c>, <c>tr ue</c>): JSON never allows that, and
    /// without the whitespace the two would read as one token, so such a body must be judged as sent.
    /// <paramref name="from"/> is where <see cref="Scan"/> stopped (the first whitespace, outside any string): the bytes
    /// before it are copied as they are. <paramref name="loneSurrogateAt"/> is the offset in <paramref name="json"/> of the
    /// first lone surrogate escape after <paramref name="from"/>, or -1; the copy stops there.
    /// </summary>
    /// <remarks>A string left open runs to the end unchanged.</remarks>
    public static int Compact(ReadOnlySpan<byte> json, Span<byte> destination, int from, out bool joinsTokens, out int loneSurrogateAt)
    {
        joinsTokens = false;
        loneSurrogateAt = -1;
        json[..from].CopyTo(destination);
        var read = from;
        var write = from;
        var skipped = false;
        while (read < json.Length)
        {
            var next = json[read..].IndexOfAny(Outside);
            int run;
            if (next < 0)
            {
                run = json.Length - read;
            }
            else if (next > 0)
            {
                run = next;
            }
            else if (json[read] == (byte)'"')
            {
                var (end, lone) = EndOfString(json, read);
                if (lone >= 0)
                {
                    loneSurrogateAt = lone;
                    return write;
                }

                run = end - read;
            }
            else
            {
                // Whitespace comes in runs (", ", ": ", a newline and its indentation): skip the run at once.
                read++;
                while (read < json.Length && json[read] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                {
                    read++;
                }

                skipped = true;
                continue;
            }

            if (skipped && write > 0 && IsTokenByte(destination[write - 1]) && IsTokenByte(json[read]))
            {
                joinsTokens = true;
            }

            skipped = false;
            json.Slice(read, run).CopyTo(destination[write..]);
            read += run;
            write += run;
        }

        return write;
    }

    /// <summary>A byte of a number or of true, false or null.</summary>
    private static bool IsTokenByte(byte b) => char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'+' or (byte)'.';

    /// <summary>From the opening quote at <paramref name="start"/>: the offset just past the closing quote, and where a lone surrogate escape sits (or -1).</summary>
    private static (int End, int LoneSurrogateAt) EndOfString(ReadOnlySpan<byte> json, int start)
    {
        var i = start + 1;
        while (i < json.Length)
        {
            var next = json[i..].IndexOfAny(Inside);
            if (next < 0)
            {
                return (json.Length, -1);
            }

            i += next;
            if (json[i] == (byte)'"')
            {
                return (i + 1, -1);
            }

            // A backslash: \uXXXX may be half of a surrogate pair; any other escape is two bytes.
            if (i + 1 < json.Length && json[i + 1] == (byte)'u' && TryHex(json, i + 2, out var unit))
            {
                if (char.IsLowSurrogate((char)unit))
                {
                    return (i, i);
                }

                if (char.IsHighSurrogate((char)unit))
                {
                    var pairs = i + 12 <= json.Length && json[i + 6] == (byte)'\\' && json[i + 7] == (byte)'u'
                        && TryHex(json, i + 8, out var low) && char.IsLowSurrogate((char)low);
                    if (!pairs)
                    {
                        return (i, i);
                    }

                    i += 12;
                    continue;
                }

                i += 6;
                continue;
            }

            i += 2;
        }

        return (json.Length, -1);
    }

    private static bool TryHex(ReadOnlySpan<byte> json, int at, out int value)
    {
        value = 0;
        return at + 4 <= json.Length && Utf8Parser.TryParse(json.Slice(at, 4), out value, out var consumed, 'X') && consumed == 4;
    }
}
