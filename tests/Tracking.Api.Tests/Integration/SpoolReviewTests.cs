using System.Diagnostics;
using System.Net;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>Hostile review of the spool with the real app in a child process.</summary>
public sealed class SpoolReviewTests : IDisposable
{
    private readonly string _root = TemporaryFolder.NewPath("spool-review-");
    private string? _mount;

    private string Outbox => Path.Combine(_root, "outbox");

    public void Dispose()
    {
        if (_mount is not null)
        {
            Run("umount", "-l", _mount);
        }

        TemporaryFolder.Delete(_root);
    }

    private static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.WaitForExit(10_000);
    }

    /// <summary>A 2 MiB tmpfs for the spool: a disk with less free space than one default segment (64 MiB). Needs root.</summary>
    private string SmallDisk()
    {
        _mount = Path.Combine(_root, "spool");
        Directory.CreateDirectory(_mount);
        Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", _mount);
        Assert.True(File.ReadAllText("/proc/mounts").Contains(_mount, StringComparison.Ordinal), "the test needs to mount a tmpfs (run as root)");
        return _mount;
    }

    [Fact]
    public async Task WhenTheDiskUnderTheSpoolFillsWithTheSinkHealthyTheApiAnswers200AgainOnceItDelivered()
    {
        var spool = SmallDisk();
        await using var api = await ApiProcess.StartAsync(ApiProcess.BuiltDll, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Tracking__WriteKeys__k"] = "review",
            ["Tracking__File__Directory"] = Outbox,
            ["Tracking__File__MaxFileAge"] = "00:00:00.100",
            ["Tracking__Spool__Directory"] = spool,
            ["Tracking__Spool__Durability"] = "Write",
            ["Tracking__RateLimit__PerAddressPermitsPerSecond"] = "0",
            ["Tracking__RateLimit__PermitsPerSecond"] = "0",
        });
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("k:"u8.ToArray()));

        var accepted = new List<string>();
        var refused = false;
        var request = 0;
        for (; request < 400 && !refused; request++)
        {
            var ids = Enumerable.Range(0, 40).Select(i => $"disk-{request}-{i}").ToList();
            using var response = await client.PostAsync("/v1/batch", Http.Json(Batch(ids)));
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
            refused = response.StatusCode == HttpStatusCode.ServiceUnavailable;
            if (!refused)
            {
                accepted.AddRange(ids);
            }
        }

        Assert.True(refused, "2 MiB of spool fill up within 400 requests of 40 events");
        await Eventually.TrueAsync(() => Missing(accepted).Count == 0, "every event answered 200 reaches the sink", TimeSpan.FromSeconds(30));

        // Everything is delivered: the disk holds nothing the API still needs, so it must take events again.
        var again = HttpStatusCode.ServiceUnavailable;
        await Eventually.TrueAsync(async () =>
        {
            var ids = Enumerable.Range(0, 40).Select(i => $"disk-{request}-{i}").ToList();
            request++;
            using var response = await client.PostAsync("/v1/batch", Http.Json(Batch(ids)));
            again = response.StatusCode;
            return again == HttpStatusCode.OK;
        }, "the API answers 200 again once the spool's events are delivered", TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData("SIGKILL", "Write")]
    [InlineData("SIGKILL", "Fsync")]
    [InlineData("SIGTERM", "Write")]
    public async Task RepeatedStopsUnderLoadWithSmallSegmentsLoseNothingAnswered200(string signal, string durability)
    {
        // 64 KiB segments: rotations, acknowledgement-log appends and segment deletions happen many times a second,
        // so the kills land in the middle of them, and a kill soon after a start lands in recovery.
        var spool = Path.Combine(_root, "spool");
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Tracking__WriteKeys__k"] = "review",
            ["Tracking__File__Directory"] = Outbox,
            ["Tracking__File__MaxFileAge"] = "00:00:00.100",
            ["Tracking__Spool__Directory"] = spool,
            ["Tracking__Spool__Durability"] = durability,
            ["Tracking__Spool__SegmentBytes"] = "65536",
            ["Tracking__RateLimit__PerAddressPermitsPerSecond"] = "0",
            ["Tracking__RateLimit__PermitsPerSecond"] = "0",
        };
        var accepted = new System.Collections.Concurrent.ConcurrentBag<string>();
        for (var round = 0; round < 4; round++)
        {
            await using var api = await ApiProcess.StartAsync(ApiProcess.BuiltDll, settings);
            using var stop = new CancellationTokenSource();
            var before = accepted.Count;
            var senders = Enumerable.Range(0, 4).Select(sender => SendAsync(api, $"r{round}s{sender}", accepted, stop.Token)).ToList();
            // Each round stops at a different moment, once it has had at least 250 events answered 200 (a loaded machine
            // starts the process and its first requests slowly).
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var stopAfter = TimeSpan.FromMilliseconds(700 + (round * 300));
            await Eventually.TrueAsync(
                () => clock.Elapsed >= stopAfter && accepted.Count - before >= 250,
                $"round {round} has run {stopAfter.TotalMilliseconds} ms and had 250 events answered 200",
                TimeSpan.FromSeconds(30),
                () => $"{accepted.Count - before} answered 200 in this round");

            stop.Cancel();
            if (signal == "SIGKILL")
            {
                await api.KillAsync();
            }
            else
            {
                Assert.Equal(0, await api.StopAsync());
            }

            await Task.WhenAll(senders);
        }

        Assert.True(accepted.Count > 1000, $"{accepted.Count} events answered 200");
        await using (var last = await ApiProcess.StartAsync(ApiProcess.BuiltDll, settings))
        {
            await Eventually.TrueAsync(() => Missing(accepted).Count == 0, "every event answered 200 in any round reaches the sink", TimeSpan.FromSeconds(40));
        }
    }

    private static async Task SendAsync(ApiProcess api, string sender, System.Collections.Concurrent.ConcurrentBag<string> accepted, CancellationToken stop)
    {
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("k:"u8.ToArray()));
        for (var request = 0; request < 2000; request++)
        {
            var ids = Enumerable.Range(0, 20).Select(i => $"{sender}-{request}-{i}").ToList();
            try
            {
                using var response = await client.PostAsync("/v1/batch", Http.Json(Batch(ids)), CancellationToken.None);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ids.ForEach(accepted.Add);
                }
            }
            catch (HttpRequestException)
            {
                return;
            }

            if (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static string Batch(IEnumerable<string> ids) =>
        "{\"batch\":[" + string.Join(",", ids.Select(id => "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Disk\",\"messageId\":\"" + id + "\",\"properties\":{\"pad\":\"" + new string('x', 400) + "\"}}")) + "]}";

    private List<string> Missing(IEnumerable<string> accepted)
    {
        var stored = Directory.Exists(Outbox)
            ? Support.Outbox.ReadEvents(Outbox).Select(e => e["messageId"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal)
            : [];
        return accepted.Where(id => !stored.Contains(id)).ToList();
    }
}
