using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Api.Spool;
using Tracking.Testing;

namespace Tracking.Api.Tests.Unit;

public sealed class EventSpoolTests : IDisposable
{
    private readonly string _directory = TemporaryFolder.NewPath("spool-");

    public void Dispose()
    {
        TemporaryFolder.Delete(_directory);
    }

    private EventSpool Open(long maxBytes = 64 << 20, long segmentBytes = 64 << 10, Durability durability = Durability.Fsync, string? directory = null, TimeProvider? time = null) =>
        new(Options.Create(new SpoolOptions { Directory = directory ?? _directory, MaxBytes = maxBytes, SegmentBytes = segmentBytes, Durability = durability }),
            time ?? TimeProvider.System, NullLogger<EventSpool>.Instance);

    private static EnrichedEvent[] Events(int from, int count, int size = 200) =>
        Enumerable.Range(from, count).Select(i => new EnrichedEvent(Encoding.UTF8.GetBytes($"{{\"messageId\":\"m{i}\",\"pad\":\"{new string('x', size)}\"}}"), $"m{i}", $"user-{i % 7}")).ToArray();

    /// <summary>Enqueues as requests of 25 events, as clients would: the spool starts a new segment between writes.</summary>
    private static async Task EnqueueAsync(EventSpool spool, EnrichedEvent[] events)
    {
        foreach (var request in events.Chunk(25))
        {
            Assert.Equal(EnqueueOutcome.Accepted, await spool.EnqueueAsync(request, CancellationToken.None));
        }
    }

    private static List<EnrichedEvent> ReadAll(EventSpool spool)
    {
        var read = new List<EnrichedEvent>();
        while (spool.TryRead(out var e))
        {
            read.Add(e);
        }

        return read;
    }

    private string[] Segments() => Directory.GetFiles(_directory, "segment-*.spool").Order().ToArray();

    [Fact]
    public async Task EventsComeBackInOrderWithTheirKeysAndSegmentsGoOnceAcknowledged()
    {
        using var spool = Open(segmentBytes: 64 << 10);
        await EnqueueAsync(spool, Events(0, 500));

        var read = ReadAll(spool);

        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"m{i}"), read.Select(e => e.MessageId));
        Assert.Equal("user-3", read[3].PartitionKey);
        Assert.Equal(Events(3, 1)[0].Json, read[3].Json);
        Assert.True(Segments().Length > 2, "the events span several segments");
        Assert.Equal(500, spool.Depth);

        spool.Acknowledge(read);

        Assert.Equal(0, spool.Depth);
        Assert.Single(Segments());
        Assert.Null(spool.OldestAcceptedAt);
    }

    [Theory]
    [InlineData("Fsync")]
    [InlineData("Write")]
    public async Task OnceEverythingWrittenIsDeliveredAndAQuietMomentPassesTheSpoolKeepsNoEventOnDisk(string durabilityName)
    {
        var durability = Enum.Parse<Durability>(durabilityName);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using (var spool = Open(durability: durability, time: time))
        {
            await EnqueueAsync(spool, Events(0, 50));
            var first = ReadAll(spool);
            spool.Acknowledge(first[..40]);
            time.Advance(EventSpool.DeliveredSegmentIdle * 2);
            Assert.True(spool.DepthBytes > 0, "ten events are read and not delivered: the segment stays");

            spool.Acknowledge(first[40..]);
            Assert.Equal(0, spool.Depth);
            Assert.True(spool.DepthBytes > 0, "the write segment is kept for a quiet moment, in case more comes at once");

            // Written meanwhile and not yet read: the segment holds an event still waiting, so it stays.
            await EnqueueAsync(spool, Events(50, 10));
            time.Advance(EventSpool.DeliveredSegmentIdle);
            Assert.Equal(10, spool.Depth);
            Assert.True(spool.DepthBytes > 0);

            var second = ReadAll(spool);
            Assert.Equal(Enumerable.Range(50, 10).Select(i => $"m{i}"), second.Select(e => e.MessageId));
            spool.Acknowledge(second);
            time.Advance(EventSpool.DeliveredSegmentIdle);

            Assert.Equal(0, spool.DepthBytes);
            Assert.All(Segments(), segment => Assert.Equal(0, new FileInfo(segment).Length));

            // Writing goes on in the new segment, and the reader finds it there.
            await EnqueueAsync(spool, Events(60, 5));
            var third = ReadAll(spool);
            Assert.Equal(Enumerable.Range(60, 5).Select(i => $"m{i}"), third.Select(e => e.MessageId));
            spool.Acknowledge(third);
            time.Advance(EventSpool.DeliveredSegmentIdle);
            Assert.Equal(0, spool.DepthBytes);
        }

        // Nothing delivered comes back after a restart, and positions go on from where they were.
        using var reopened = Open(durability: durability, time: time);
        Assert.Equal(0, reopened.Depth);
        Assert.Empty(ReadAll(reopened));
        await EnqueueAsync(reopened, Events(65, 3));
        var after = ReadAll(reopened);
        Assert.Equal(["m65", "m66", "m67"], after.Select(e => e.MessageId));
        Assert.True(after[0].Position > 65, $"positions go on after a restart (the first one now is {after[0].Position})");
    }

    [Fact]
    public async Task ARestartDeliversWhatWasNotAcknowledgedFirstAndNothingThatWas()
    {
        using (var first = Open())
        {
            await EnqueueAsync(first, Events(0, 10));
            var read = ReadAll(first);
            first.Acknowledge([read[0], read[1], read[4], read[9]]);
        }

        using var second = Open();
        Assert.Equal(6, second.Depth);
        await EnqueueAsync(second, Events(10, 2));

        var again = ReadAll(second);

        Assert.Equal(["m2", "m3", "m5", "m6", "m7", "m8", "m10", "m11"], again.Select(e => e.MessageId));
        Assert.True(again.Select(e => e.Position).Distinct().Count() == again.Count, "positions are never reused");
        Assert.Equal(0, second.CorruptBytes);
    }

    [Theory]
    [InlineData("torn")]
    [InlineData("flipped")]
    [InlineData("zeros")]
    public async Task ACorruptTailIsCutOffAndReportedAndLaterSegmentsStayIntact(string damage)
    {
        using (var first = Open(segmentBytes: 64 << 10))
        {
            await EnqueueAsync(first, Events(0, 1000));
        }

        var segments = Segments();
        Assert.True(segments.Length >= 3);
        var damaged = segments[0];
        var length = new FileInfo(damaged).Length;
        using (var file = new FileStream(damaged, FileMode.Open, FileAccess.ReadWrite))
        {
            switch (damage)
            {
                case "torn":
                    file.SetLength(length - 50);
                    break;
                case "flipped":
                    file.Position = length / 2;
                    var b = file.ReadByte();
                    file.Position = length / 2;
                    file.WriteByte((byte)(b ^ 0x5A));
                    break;
                case "zeros":
                    file.Position = length;
                    file.Write(new byte[4096]);
                    break;
            }
        }

        using var second = Open(segmentBytes: 64 << 10);
        var read = ReadAll(second);

        Assert.True(second.CorruptBytes > 0, "the damage is reported");
        var ids = read.Select(e => int.Parse(e.MessageId[1..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Contains(999, ids);
        Assert.Contains(0, ids);
        var lost = 1000 - ids.Count;
        Assert.True(damage == "zeros" ? lost == 0 : lost is > 0 and < 200, $"{lost} events lost to '{damage}'");
    }

    [Fact]
    public async Task PastMaxBytesEnqueueSaysFullUntilAcknowledgementsFreeSegments()
    {
        using var spool = Open(maxBytes: 1 << 20, segmentBytes: 64 << 10);
        var outcome = EnqueueOutcome.Accepted;
        var accepted = 0;
        while (outcome == EnqueueOutcome.Accepted)
        {
            outcome = await spool.EnqueueAsync(Events(accepted, 50), CancellationToken.None);
            accepted += outcome == EnqueueOutcome.Accepted ? 50 : 0;
        }

        Assert.Equal(EnqueueOutcome.Full, outcome);
        Assert.True(spool.IsFull);
        Assert.True(spool.DepthBytes <= 1 << 20);

        spool.Acknowledge(ReadAll(spool));

        Assert.False(spool.IsFull);
        Assert.Equal(EnqueueOutcome.Accepted, await spool.EnqueueAsync(Events(accepted, 50), CancellationToken.None));
    }

    [Fact]
    public async Task ConcurrentRequestsShareWritesAndEachIsAcceptedWhole()
    {
        using var spool = Open(durability: Durability.Fsync);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(r => Task.Run(async () => await spool.EnqueueAsync(Events(r * 10, 10), CancellationToken.None))));

        Assert.All(outcomes, o => Assert.Equal(EnqueueOutcome.Accepted, o));
        var read = ReadAll(spool);
        Assert.Equal(640, read.Select(e => e.MessageId).Distinct().Count());
        foreach (var request in read.GroupBy(e => int.Parse(e.MessageId[1..], System.Globalization.CultureInfo.InvariantCulture) / 10))
        {
            var positions = request.Select(e => e.Position).ToList();
            Assert.Equal(Enumerable.Range(0, 10).Select(i => positions[0] + i), positions);
        }
    }

    [Fact]
    public async Task AClosedSpoolRefusesNewEventsAndEndsTheReaderOnceRead()
    {
        using var spool = Open();
        await EnqueueAsync(spool, Events(0, 3));
        spool.Close();

        Assert.Equal(EnqueueOutcome.Closed, await spool.EnqueueAsync(Events(3, 1), CancellationToken.None));
        Assert.Equal(3, ReadAll(spool).Count);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.False(await spool.WaitToReadAsync(timeout.Token));
    }

    [Fact]
    public async Task AFullDiskIsAFullSpoolNotAnErrorAndLeavesNothingCorrupt()
    {
        // A real full disk: a 1 MiB tmpfs mounted for the test (the test runs as root, as CI does).
        using var disk = new TinyDisk(_directory + "-tmpfs");
        var mount = disk.Path;
        {
            var accepted = new List<string>();
            using (var spool = Open(maxBytes: 64 << 20, segmentBytes: 256 << 10, directory: mount))
            {
                var outcome = EnqueueOutcome.Accepted;
                for (var i = 0; outcome == EnqueueOutcome.Accepted && i < 1000; i++)
                {
                    var events = Events(i * 20, 20);
                    outcome = await spool.EnqueueAsync(events, CancellationToken.None);
                    if (outcome == EnqueueOutcome.Accepted)
                    {
                        accepted.AddRange(events.Select(e => e.MessageId));
                    }
                }

                Assert.Equal(EnqueueOutcome.Full, outcome);
                Assert.True(spool.IsFull);
            }

            using var reopened = Open(maxBytes: 64 << 20, segmentBytes: 256 << 10, directory: mount);
            Assert.Equal(0, reopened.CorruptBytes);
            Assert.Equal(accepted, ReadAll(reopened).Select(e => e.MessageId));
        }
    }

    [Fact]
    public async Task ADiskThatFillsWhileEverythingOnItIsDeliveredIsFreedByTheSpoolItself()
    {
        // The disk fills in the quiet moment after the last acknowledgement: no acknowledgement will come for what is on it.
        using var disk = new TinyDisk(_directory + "-tmpfs");
        var mount = disk.Path;
        {
            var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
            using var spool = Open(maxBytes: 1L << 30, segmentBytes: 64L << 20, durability: Durability.Write, directory: Path.Combine(mount, "spool"), time: time);
            for (var i = 0; i < 200; i += 10)
            {
                Assert.Equal(EnqueueOutcome.Accepted, await spool.EnqueueAsync(Events(i, 10), CancellationToken.None));
                spool.Acknowledge(ReadAll(spool));
            }

            var filler = Path.Combine(mount, "filler");
            using (var file = new FileStream(filler, FileMode.Create))
            {
                var block = new byte[4096];
                try
                {
                    while (true)
                    {
                        file.Write(block);
                        file.Flush();
                    }
                }
                catch (IOException)
                {
                    // The disk is full.
                }
            }

            Assert.Equal(EnqueueOutcome.Full, await spool.EnqueueAsync(Events(200, 10), CancellationToken.None));
            time.Advance(TimeSpan.FromMilliseconds(10));

            Assert.Equal(0, spool.Depth);
            Assert.Equal(0, spool.DepthBytes);
            Assert.All(Directory.GetFiles(Path.Combine(mount, "spool"), "segment-*.spool"), segment => Assert.Equal(0, new FileInfo(segment).Length));
            File.Delete(filler);
            Assert.Equal(EnqueueOutcome.Accepted, await spool.EnqueueAsync(Events(300, 1), CancellationToken.None));
            Assert.Equal("m300", Assert.Single(ReadAll(spool)).MessageId);
        }
    }

    [Fact]
    public async Task ASegmentThatCannotBeDeletedStaysCountedAndIsDeletedOnceItCanBe()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var spool = Open(time: time);
        await EnqueueAsync(spool, Events(0, 5));
        spool.Acknowledge(ReadAll(spool));
        var segment = Assert.Single(Segments());
        var bytes = spool.DepthBytes;

        // A folder where the segment was: deleting it as a file fails (as an immutable file or a held one would).
        File.Delete(segment);
        Directory.CreateDirectory(segment);
        File.WriteAllText(Path.Combine(segment, "held"), "x");
        time.Advance(EventSpool.DeliveredSegmentIdle);
        Assert.Equal(bytes, spool.DepthBytes);

        Directory.Delete(segment, recursive: true);
        File.WriteAllText(segment, "");
        await EnqueueAsync(spool, Events(5, 5));
        spool.Acknowledge(ReadAll(spool));
        time.Advance(EventSpool.DeliveredSegmentIdle);
        Assert.Equal(0, spool.DepthBytes);
    }

    [Fact]
    public async Task AfterARestartWithOutOfOrderAcknowledgementsAQuietSpoolStillEmpties()
    {
        using (var first = Open())
        {
            await EnqueueAsync(first, Events(0, 10));
            var read = ReadAll(first);

            // Two batches in flight when it stopped: the later one was acknowledged, the earlier one not.
            first.Acknowledge(read[5..]);
        }

        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var spool = Open(time: time);
        var again = ReadAll(spool);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], again.Select(e => e.MessageId));
        spool.Acknowledge(again);
        time.Advance(EventSpool.DeliveredSegmentIdle);

        Assert.Equal(0, spool.Depth);
        Assert.Equal(0, spool.DepthBytes);
    }

    /// <summary>A 1 MiB tmpfs mounted at <see cref="Path"/> for one test (the tests run as root, as CI does); unmounted when disposed.</summary>
    private sealed class TinyDisk : IDisposable
    {
        public TinyDisk(string path)
        {
            Path = path;
            Directory.CreateDirectory(path);
            RunOrFail("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", path);
        }

        public string Path { get; }

        public void Dispose()
        {
            // Lazily: a file the spool under test still holds open must not keep the mount, and the folder, behind.
            RunOrFail("umount", "-l", Path);
            Directory.Delete(Path);
        }
    }

    private static void RunOrFail(string command, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(command, args) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed: {error}");
    }

    [Fact]
    public async Task BytesDamagedAfterStartUpAreSkippedWhileReadingAndTheirEventsNoLongerCountAsWaiting()
    {
        using var spool = Open(segmentBytes: 64 << 10);
        await EnqueueAsync(spool, Events(0, 500));
        var segments = Segments();
        Assert.True(segments.Length > 2, "the events span several segments");

        // A disk error after the write: a byte in the middle of the first segment flips under the running spool.
        using (var file = new FileStream(segments[0], FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Position = file.Length / 2;
            var b = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(b ^ 0xFF));
        }

        var read = ReadAll(spool);

        Assert.InRange(read.Count, 300, 499);
        Assert.Equal(read.Select(e => e.Position).Order(), read.Select(e => e.Position));
        Assert.True(spool.CorruptBytes > 0);
        spool.Acknowledge(read);
        Assert.Equal(0, spool.Depth);
    }
}
