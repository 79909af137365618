namespace Tracking.Consumer.Loading;

/// <summary>
/// The one time format the typed time columns take: RFC 3339's profile of ISO 8601, which is what the API writes
/// (<c>2026-11-21T10:15:30.120Z</c>) and documents, <c>yyyy-MM-ddTHH:mm:ss[.f…](Z|±hh:mm)</c>: a four-digit year from
/// 0001, an upper-case <c>T</c>, seconds always present, one to nine fraction digits (kept to the tick, 100 ns; the
/// warehouses keep microseconds), and a zone, <c>Z</c> or an offset of at most ±14:00. The instant in UTC must lie in
/// 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.9999999Z, which PostgreSQL and Redshift hold as it is (both hold 4713 BC
/// to 294276 AD). Anything else — <c>12:00</c>, <c>1/2/2026</c>, a time without a zone, a leap second, a number — is
/// not guessed at: the column stays NULL and the value is kept as sent in <c>unparsed_times</c>.
/// </summary>
internal static class EventTimes
{
    /// <summary>Whether <paramref name="text"/> is a time in the accepted form; <paramref name="time"/> is in UTC.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset time)
    {
        time = default;
        if (text.Length < 20
            || !Digits(text, 0, 4, out var year) || text[4] != '-'
            || !Digits(text, 5, 2, out var month) || text[7] != '-'
            || !Digits(text, 8, 2, out var day) || text[10] != 'T'
            || !Digits(text, 11, 2, out var hour) || text[13] != ':'
            || !Digits(text, 14, 2, out var minute) || text[16] != ':'
            || !Digits(text, 17, 2, out var second))
        {
            return false;
        }

        var position = 19;
        long fractionTicks = 0;
        if (text[position] == '.')
        {
            var start = ++position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }

            var digits = position - start;
            if (digits is < 1 or > 9)
            {
                return false;
            }

            // Seven digits are a tick; the eighth and ninth (nanoseconds, as Go writes them) are below one and dropped.
            for (var i = 0; i < 7; i++)
            {
                fractionTicks = (fractionTicks * 10) + (i < digits ? text[start + i] - '0' : 0);
            }
        }

        if (!Zone(text[position..], out var offsetMinutes))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).Ticks + fractionTicks;
        var utc = local - (offsetMinutes * TimeSpan.TicksPerMinute);
        if (utc < DateTime.MinValue.Ticks || utc > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        time = new DateTimeOffset(utc, TimeSpan.Zero);
        return true;
    }

    private static bool Zone(ReadOnlySpan<char> zone, out int offsetMinutes)
    {
        offsetMinutes = 0;
        if (zone is "Z")
        {
            return true;
        }

        if (zone.Length != 6 || zone[0] is not ('+' or '-') || zone[3] != ':' || !Digits(zone, 1, 2, out var hours) || !Digits(zone, 4, 2, out var minutes))
        {
            return false;
        }

        if (minutes > 59 || (hours * 60) + minutes > 14 * 60)
        {
            return false;
        }

        offsetMinutes = (zone[0] == '-' ? -1 : 1) * ((hours * 60) + minutes);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }

            value = (value * 10) + (text[i] - '0');
        }

        return true;
    }
}
