using System.Globalization;

namespace Tracking.Replay.Archives;

/// <summary>The hour folders (<c>yyyy/MM/dd/HH</c>, UTC) that may hold events received in a range.</summary>
internal static class ArchiveHours
{
    /// <summary>
    /// From the hour before <paramref name="from"/> (a file is filed under the hour it was opened, which may be before
    /// its first event was received) to the hour <paramref name="late"/> after <paramref name="to"/> (an event the
    /// sink took late, after an outage, is filed when it was written).
    /// </summary>
    public static IEnumerable<DateTimeOffset> Covering(DateTimeOffset from, DateTimeOffset to, TimeSpan late)
    {
        var first = Floor(from.ToUniversalTime().AddHours(-1));
        var last = Floor(to.ToUniversalTime() + late);
        for (var hour = first; hour <= last; hour = hour.AddHours(1))
        {
            yield return hour;
        }
    }

    /// <summary>The folder path of <paramref name="hour"/>, with <c>/</c> between its parts.</summary>
    public static string Folder(DateTimeOffset hour) => hour.UtcDateTime.ToString("yyyy'/'MM'/'dd'/'HH", CultureInfo.InvariantCulture);

    private static DateTimeOffset Floor(DateTimeOffset time) => new(time.Year, time.Month, time.Day, time.Hour, 0, 0, TimeSpan.Zero);
}
