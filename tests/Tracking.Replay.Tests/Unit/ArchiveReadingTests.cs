using System.IO.Compression;
using System.Text;
using Tracking.Replay.Archives;

namespace Tracking.Replay.Tests.Unit;

public class ArchiveReadingTests
{
    [Fact]
    public void TheHoursReadRunFromTheHourBeforeTheRangeToTheLateMarginAfterIt()
    {
        var hours = ArchiveHours.Covering(
            new DateTimeOffset(2026, 11, 1, 10, 30, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.FromHours(1)), TimeSpan.FromMinutes(90)).ToList();

        Assert.Equal(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero), hours[0]);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero), hours[^1]);
        Assert.Equal(4, hours.Count);
        Assert.Equal("2026/11/01/09", ArchiveHours.Folder(hours[0]));
    }

    [Fact]
    public async Task LinesAreSplitOnNewlinesWithCarriageReturnsBlankLinesAndAnUnterminatedLastLineHandled()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}"));
        var lines = new List<string>();
        await foreach (var line in NdjsonLines.ReadAsync(stream, CancellationToken.None))
        {
            lines.Add(Encoding.UTF8.GetString(line.Span));
        }

        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"], lines);
    }

    [Fact]
    public async Task ALineLongerThanAnyEventStopsTheReadWithAClearError()
    {
        using var stream = new MemoryStream(new byte[NdjsonLines.MaxLineBytes + 70_000]);
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var _ in NdjsonLines.ReadAsync(stream, CancellationToken.None))
            {
            }
        });
        Assert.Contains("not an archive of events", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGzipFileIsReadByItsFirstBytesWhateverItsName()
    {
        using var archive = new ArchiveFolder();
        var hour = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);
        var path = archive.Write(hour, ["{\"z\":1}"], gzip: true);
        var folder = new FolderArchive(archive.Root);

        var files = new List<string>();
        await foreach (var file in folder.FilesAsync(hour, CancellationToken.None))
        {
            files.Add(file);
        }

        Assert.Equal([path], files);
        await using var stream = await folder.OpenAsync(path, CancellationToken.None);
        using var reader = new StreamReader(stream);
        Assert.Equal("{\"z\":1}", (await reader.ReadToEndAsync()).Trim());
        Assert.IsType<GZipStream>(stream);
    }
}
