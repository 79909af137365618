using System.Diagnostics;

namespace Tracking.Events;

/// <summary>
/// The trace context an enriched event carries from the request that accepted it to the sink's put and the
/// warehouse load: <c>,"traceparent":"00-{trace id}-{span id}-{flags}"</c> as the last member of the event's JSON.
/// </summary>
/// <remarks>
/// Last, so a reader finds it at a fixed distance from the end without parsing the event: no client text can end
/// the root object with those bytes, since a string would escape its quotes and a nested object would close with
/// its own brace first. The API drops a top-level <c>traceparent</c> a client sends, so only the server writes one.
/// </remarks>
public static class EventTrace
{
    /// <summary>Characters of a version-00 W3C traceparent: <c>00-</c>, 32 hex, <c>-</c>, 16 hex, <c>-</c>, 2 hex.</summary>
    public const int TraceParentLength = 55;

    private static ReadOnlySpan<byte> Prefix => ",\"traceparent\":\""u8;

    /// <summary>Bytes the member adds to an event: the comma, the quoted name, the colon and the quoted value.</summary>
    public static int MemberLength => Prefix.Length + TraceParentLength + 1;

    /// <summary>Reads the trace context stamped at the end of <paramref name="json"/> (a trailing newline allowed).</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out ActivityContext context)
    {
        context = default;
        json = json.TrimEnd("\r\n"u8);
        var length = MemberLength + 1;
        if (json.Length < length + 1 || json[^1] != (byte)'}')
        {
            return false;
        }

        var member = json[^length..^1];
        if (!member.StartsWith(Prefix) || member[^1] != (byte)'"')
        {
            return false;
        }

        var value = member.Slice(Prefix.Length, TraceParentLength);
        if (!value.StartsWith("00-"u8) || value[35] != (byte)'-' || value[52] != (byte)'-'
            || !IsLowerHex(value[3..35]) || !IsLowerHex(value[36..52]) || !IsLowerHex(value[53..]))
        {
            return false;
        }

        // All-zero ids are invalid in W3C trace context.
        if (value[3..35].IndexOfAnyExcept((byte)'0') < 0 || value[36..52].IndexOfAnyExcept((byte)'0') < 0)
        {
            return false;
        }

        var traceId = ActivityTraceId.CreateFromUtf8String(value[3..35]);
        var spanId = ActivitySpanId.CreateFromUtf8String(value[36..52]);

        var flags = (HexValue(value[53]) << 4) | HexValue(value[54]);
        context = new ActivityContext(traceId, spanId, (ActivityTraceFlags)(flags & 1), traceState: null, isRemote: true);
        return true;
    }

    private static bool IsLowerHex(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (b is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f')))
            {
                return false;
            }
        }

        return true;
    }

    private static int HexValue(byte b) => b <= (byte)'9' ? b - '0' : b - 'a' + 10;
}
