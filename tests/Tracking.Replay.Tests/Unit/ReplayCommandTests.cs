using Tracking.Testing.Time;

namespace Tracking.Replay.Tests.Unit;

/// <summary>The command over a real archive folder, with the stream scripted (per-record refusals on demand) and the clock fake.</summary>
public sealed class ReplayCommandTests : IDisposable
{
    private static readonly DateTimeOffset Ten = new(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly ArchiveFolder _archive = new();
    private readonly FakeClock _time = new(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _archive.Dispose();

    private async Task<(int Exit, string Output, string Errors, ScriptedKinesis Stream)> RunAsync(ScriptedKinesis? stream, params string[] extra)
    {
        stream ??= new ScriptedKinesis(_time);
        var output = new StringWriter();
        var errors = new StringWriter();
        string[] args = ["--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T11:00:00Z", "--archive", _archive.Root, "--stream", "events", "--region", "us-east-1", .. extra];
        var exit = await OnFakeClock.RunAsync(_time, () => ReplayCommand.RunAsync(args, output, errors, _time, CancellationToken.None, stream));
        return (exit, output.ToString(), errors.ToString(), stream);
    }

    [Fact]
    public async Task OnlyEventsReceivedInTheRangeArePutAndTheSummarySaysWhatElseWasRead()
    {
        // The 09 folder holds a file opened before the range with an event received in it; the 11 folder one written late.
        _archive.Write(Ten.AddMinutes(-1), [ArchivedEventLine("early", Ten.AddMinutes(-2)), ArchivedEventLine("in-1", Ten.AddSeconds(5))]);
        _archive.Write(Ten.AddMinutes(30), [ArchivedEventLine("in-2", Ten.AddMinutes(30)), "not json", "{\"messageId\":\"x\"}", ArchivedEventLine("in-3", Ten.AddMinutes(59))]);
        _archive.Write(Ten.AddMinutes(75), [ArchivedEventLine("in-4", Ten.AddMinutes(50)), ArchivedEventLine("after", Ten.AddMinutes(61))]);
        _archive.Write(Ten.AddHours(5), [ArchivedEventLine("too-late-to-look", Ten.AddMinutes(10))]);

        var (exit, output, _, stream) = await RunAsync(null);

        Assert.Equal(0, exit);
        Assert.Equal(["in-1", "in-2", "in-3", "in-4"], stream.Puts.SelectMany(p => p.Records).Select(MessageId));
        Assert.Contains("files read 3, lines 8, unreadable 2 (1 no receivedAt in ISO 8601, 1 not JSON), outside the range 2", output, StringComparison.Ordinal);
        Assert.Contains("in range 4: put 4, failed 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePutsArePacedToTheRateAndNoRequestCarriesMoreThanASecondOfIt()
    {
        _archive.Write(Ten, Enumerable.Range(0, 100).Select(i => ArchivedEventLine($"m-{i}", Ten.AddSeconds(i))));

        var (exit, _, _, stream) = await RunAsync(null, "--rate", "20");

        Assert.Equal(0, exit);
        Assert.Equal(5, stream.Puts.Count);
        Assert.All(stream.Puts, p => Assert.Equal(20, p.Records.Count));
        var spacing = stream.Puts.Zip(stream.Puts.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.All(spacing, gap => Assert.InRange(gap, TimeSpan.FromMilliseconds(990), TimeSpan.FromMilliseconds(1100)));
    }

    [Fact]
    public async Task LargeEventsArePacedToTheByteRateAndNoRequestCarriesMoreThanASecondOfIt()
    {
        // About 10 KiB each: at 20 KiB/s two fit in a second, well under the record rate.
        var padding = new string('x', 10_000);
        _archive.Write(Ten, Enumerable.Range(0, 10).Select(i => ArchivedEventLine($"m-{i}", Ten.AddSeconds(i)).Replace("\"Replayed\"", $"\"{padding}\"", StringComparison.Ordinal)));

        var (exit, _, _, stream) = await RunAsync(null, "--byte-rate", "20480");

        Assert.Equal(0, exit);
        Assert.Equal(5, stream.Puts.Count);
        Assert.All(stream.Puts, p => Assert.InRange(p.Records.Sum(r => r.Data.Length + r.PartitionKey.Length), 1, 20480));
        var spacing = stream.Puts.Zip(stream.Puts.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.All(spacing, gap => Assert.InRange(gap, TimeSpan.FromMilliseconds(900), TimeSpan.FromMilliseconds(1100)));
    }

    [Fact]
    public async Task ARangeWithNoArchiveFileExitsWithTwoAndSaysWhereItLooked()
    {
        _archive.Write(Ten.AddDays(1), [ArchivedEventLine("elsewhere", Ten.AddDays(1))]);

        var (exit, output, errors, stream) = await RunAsync(null);

        Assert.Equal(2, exit);
        Assert.Empty(stream.Puts);
        Assert.Contains("files read 0", output, StringComparison.Ordinal);
        Assert.Contains($"no archive file in any hour folder of the range; the first one looked in was {Path.Combine(_archive.Root, "2026/11/01/09")}", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordsTheStreamRefusesArePutAgainAloneUntilTheyAreTaken()
    {
        _archive.Write(Ten, Enumerable.Range(0, 10).Select(i => ArchivedEventLine($"m-{i}", Ten.AddSeconds(i))));
        var stream = new ScriptedKinesis(_time) { Refuse = (id, attempt) => id is "m-3" or "m-7" && attempt < 3 };

        var (exit, output, _, _) = await RunAsync(stream);

        Assert.Equal(0, exit);
        Assert.Equal([10, 2, 2], stream.Puts.Select(p => p.Records.Count));
        Assert.Equal(["m-3", "m-7"], stream.Puts[2].Records.Select(MessageId));
        Assert.Contains("put 10, failed 0 (retried and put: 2)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordsStillRefusedAfterEveryAttemptAreCountedAsFailedAndTheExitCodeSaysSo()
    {
        _archive.Write(Ten, Enumerable.Range(0, 4).Select(i => ArchivedEventLine($"m-{i}", Ten.AddSeconds(i))));
        var stream = new ScriptedKinesis(_time) { Refuse = (id, _) => id == "m-1" };

        var (exit, output, _, _) = await RunAsync(stream);

        Assert.Equal(1, exit);
        Assert.Equal(ReplaySender.MaxAttempts, stream.Puts.Count);
        Assert.Contains("put 3, failed 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADryRunReadsAndCountsAndPutsNothing()
    {
        _archive.Write(Ten, [ArchivedEventLine("m-1", Ten.AddSeconds(1))]);

        var (exit, output, _, stream) = await RunAsync(null, "--dry-run");

        Assert.Equal(0, exit);
        Assert.Empty(stream.Puts);
        Assert.Contains("would put (dry run) 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadCommandLineExitsWithTwoAndSaysWhyOnStandardError()
    {
        var output = new StringWriter();
        var errors = new StringWriter();

        var exit = await ReplayCommand.RunAsync(["--from", "soon"], output, errors, _time, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Contains("Tracking.Replay: --from 'soon' is not an ISO 8601 time", errors.ToString(), StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }

    private static string ArchivedEventLine(string id, DateTimeOffset receivedAt) => ArchiveFolder.Event(id, receivedAt);

    private static string MessageId(Tracking.Aws.Kinesis.PutRecordsRequestEntry entry) =>
        System.Text.Json.JsonDocument.Parse(entry.Data).RootElement.GetProperty("messageId").GetString()!;
}
