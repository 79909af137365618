using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Api.Tests.Support;
using Tracking.Testing;
using Tracking.Testing.Time;

namespace Tracking.Api.Tests.Unit;

public class FileSinkTests : IDisposable
{
    private readonly string _directory = TemporaryFolder.NewPath("file-sink-");
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 11, 21, 23, 59, 59, TimeSpan.Zero));

    public void Dispose()
    {
        TemporaryFolder.Delete(_directory);
    }

    private FileSink Sink(long maxFileBytes = 1 << 20, TimeSpan? maxFileAge = null) =>
        new(Options.Create(new FileSinkOptions { Directory = _directory, MaxFileBytes = maxFileBytes, MaxFileAge = maxFileAge ?? TimeSpan.FromMinutes(1) }),
            _clock, NullLogger<FileSink>.Instance);

    private static EnrichedEvent[] Events(params string[] ids) =>
        ids.Select(id => new EnrichedEvent(Encoding.UTF8.GetBytes($$"""{"messageId":"{{id}}"}"""), id, "p")).ToArray();

    private List<string> CompleteLines() => Outbox.ReadEvents(_directory).Select(e => e["messageId"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task AFileIsOnlyVisibleUnderItsFinalNameOnceComplete()
    {
        var sink = Sink();

        await sink.DeliverAsync(Events("a", "b"), CancellationToken.None);

        Assert.Empty(Outbox.CompleteFiles(_directory));
        Assert.EndsWith(".ndjson.partial", Assert.Single(Directory.GetFiles(Path.Combine(_directory, ".inprogress"))), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory, "*.ndjson", SearchOption.AllDirectories));

        await sink.FlushAsync(CancellationToken.None);

        var file = Assert.Single(Outbox.CompleteFiles(_directory));
        Assert.Equal(Path.Combine(_directory, "2026", "11", "21", "23"), Path.GetDirectoryName(file));
        Assert.Matches(@"^events-2026-11-21-23-59-59-[0-9a-f]{32}\.ndjson$", Path.GetFileName(file));
        Assert.Equal("{\"messageId\":\"a\"}\n{\"messageId\":\"b\"}\n", await File.ReadAllTextAsync(file));
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, ".inprogress")));
    }

    [Fact]
    public async Task AFileRollsWhenItReachesTheSizeLimit()
    {
        var sink = Sink(maxFileBytes: 1024);

        for (var i = 0; i < 100; i++)
        {
            await sink.DeliverAsync(Events($"event-{i:000}"), CancellationToken.None);
        }

        await sink.FlushAsync(CancellationToken.None);

        var files = Outbox.CompleteFiles(_directory).ToList();
        Assert.True(files.Count >= 2, $"expected several files, got {files.Count}");
        Assert.All(files, f => Assert.True(new FileInfo(f).Length < 1024 + 30));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"event-{i:000}").Order(), CompleteLines().Order());
    }

    [Fact]
    public async Task AnIdleFileIsCompletedWhenItsAgeIsUp()
    {
        var sink = Sink(maxFileAge: TimeSpan.FromSeconds(30));
        await sink.DeliverAsync(Events("a"), CancellationToken.None);

        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(Outbox.CompleteFiles(_directory));

        _clock.Advance(TimeSpan.FromSeconds(1));

        await Eventually.TrueAsync(() => Outbox.CompleteFiles(_directory).Any(), "the timer completes the file");
        Assert.Equal(["a"], CompleteLines());
    }

    [Fact]
    public async Task AWriteAfterTheAgeLimitStartsANewFileInTheNewHour()
    {
        var sink = Sink(maxFileAge: TimeSpan.FromSeconds(30));
        await sink.DeliverAsync(Events("before-midnight"), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(31));
        await sink.DeliverAsync(Events("after-midnight"), CancellationToken.None);
        await sink.FlushAsync(CancellationToken.None);

        var folders = Outbox.CompleteFiles(_directory).Select(f => Path.GetRelativePath(_directory, Path.GetDirectoryName(f)!)).Order().ToList();
        Assert.Equal([Path.Combine("2026", "11", "21", "23"), Path.Combine("2026", "11", "22", "00")], folders);
    }

    [Fact]
    public async Task FilesLeftInProgressByACrashAreCompletedAtTheNextStartWithoutTheTornLine()
    {
        var inProgress = Path.Combine(_directory, ".inprogress");
        Directory.CreateDirectory(inProgress);
        await File.WriteAllTextAsync(Path.Combine(inProgress, "events-2026-11-20-08-30-00-0123456789abcdef0123456789abcdef.ndjson.partial"),
            "{\"messageId\":\"x\"}\n{\"messageId\":\"y\"}\n{\"messageId\":\"tor");
        await File.WriteAllTextAsync(Path.Combine(inProgress, "events-2026-11-20-08-31-00-fedcba9876543210fedcba9876543210.ndjson.partial"), "{\"messageId\":\"only-torn");

        _ = Sink();

        var file = Assert.Single(Outbox.CompleteFiles(_directory));
        Assert.Contains(Path.Combine("2026", "11", "20", "08"), file, StringComparison.Ordinal);
        Assert.Equal(["x", "y"], CompleteLines());
        Assert.Empty(Directory.GetFiles(inProgress));
    }

    [Fact]
    public async Task AFileThatCannotBeMovedIntoItsHourFolderDoesNotMakeItsBatchBeWrittenAgain()
    {
        // A regular file where the year folder must go: every completion fails until the operator removes it.
        Directory.CreateDirectory(_directory);
        var blocker = Path.Combine(_directory, "2026");
        await File.WriteAllTextAsync(blocker, "in the way");
        var sink = Sink(maxFileBytes: 10);

        foreach (var id in new[] { "a", "b", "c" })
        {
            Assert.True((await sink.DeliverAsync(Events(id), CancellationToken.None)).AllDelivered);
        }

        Assert.Empty(Outbox.CompleteFiles(_directory));
        Assert.Equal(3, Directory.GetFiles(Path.Combine(_directory, ".inprogress")).Length);

        File.Delete(blocker);
        await sink.FlushAsync(CancellationToken.None);

        Assert.Equal(["a", "b", "c"], CompleteLines().Order());
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, ".inprogress")));
    }

    [Fact]
    public async Task DisposingCompletesTheOpenFile()
    {
        var sink = Sink();
        await sink.DeliverAsync(Events("a"), CancellationToken.None);

        await sink.DisposeAsync();

        Assert.Equal(["a"], CompleteLines());
    }
}
