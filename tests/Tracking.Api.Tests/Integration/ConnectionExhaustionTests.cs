using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// A client that holds idle connections up to and past the process's open-file limit, as the
/// issue's probe did, against the real app in a child process under a low <c>ulimit -n</c>.
/// </summary>
public class ConnectionExhaustionTests
{
    private const int OpenFileLimit = 1024;

    [Fact]
    public async Task HoldingMoreIdleConnectionsThanTheFileLimitNeitherCrashesTheApiNorCostsAcceptedEvents()
    {
        using var folder = new TemporaryFolder();
        var outbox = folder.Path;
        await using var api = await ApiProcess.StartAsync(ApiProcess.BuiltDll, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Tracking__WriteKeys__k"] = "hostile-test",
            ["Tracking__File__Directory"] = outbox,
            ["Tracking__File__MaxFileAge"] = "00:00:00.100",
            ["Tracking__RateLimit__PerAddressPermitsPerSecond"] = "0",
        }, openFileLimit: OpenFileLimit);
        Assert.Contains($"open-file limit {OpenFileLimit}", api.Output, StringComparison.Ordinal);
        using var client = api.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(10);
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("k:"u8.ToArray()));
        var accepted = new List<string>();

        await PostAsync(client, "before", 20, accepted);
        var held = await HoldConnectionsAsync(api.BaseAddress!, OpenFileLimit * 2);
        try
        {
            // While every connection slot is taken the API may refuse new ones; what it accepts must still be stored.
            await PostAsync(client, "during", 20, accepted, tolerateRefusals: true);
            Assert.False(api.HasExited, $"the API died while connections were held: {api.Output}");
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }

        await Eventually.TrueAsync(async () => await TryPostAsync(client, "probe-" + Guid.NewGuid()) is not null, "a normal client is answered again", TimeSpan.FromSeconds(30));
        await PostAsync(client, "after", 20, accepted);
        Assert.Equal(0, await api.StopAsync());

        var stored = Outbox.ReadEvents(outbox).Select(e => e["messageId"]!.GetValue<string>()).ToList();
        Assert.All(accepted, id => Assert.Single(stored, s => s == id));
        // Under a CPU-starved run the refusals can lag a burst of thousands of connections, and a write of the
        // outbox may meet EMFILE once; it is retried, and what matters is above: nothing answered 200 is lost.
        Assert.True(api.Output.Split('\n').Length < 2_000, $"the log grew by {api.Output.Split('\n').Length} lines: the accept loop spun");
    }

    [Fact]
    public async Task ABurstOfConnectionsPastTheLimitIsClosedInTheAcceptLoopSoTheProcessNeverHoldsMoreThanTheLimit()
    {
        const int Limit = 8;
        using var folder = new TemporaryFolder();
        var outbox = folder.Path;
        await using var api = await ApiProcess.StartAsync(ApiProcess.BuiltDll, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Tracking__WriteKeys__k"] = "hostile-test",
            ["Tracking__File__Directory"] = outbox,
            ["Tracking__Limits__MaxConnections"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var before = Sockets(api.Id);

        // Opened all at once: Kestrel's own limit would accept them all and queue a refusal for each.
        var burst = await Task.WhenAll(Enumerable.Range(0, 300).Select(async _ =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(IPAddress.Loopback, api.BaseAddress!.Port, timeout.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // Refused before it was accepted: nothing held either.
            }

            return socket;
        }));
        var most = 0;
        for (var i = 0; i < 20; i++)
        {
            most = Math.Max(most, Sockets(api.Id) - before);
            await Task.Delay(10);
        }

        try
        {
            Assert.InRange(most, 0, Limit + 1);

            // The ones past the limit were closed: reading them ends at once.
            var closed = 0;
            foreach (var socket in burst.Where(s => s.Connected))
            {
                socket.ReceiveTimeout = 50;
                try
                {
                    closed += socket.Receive(new byte[1]) == 0 ? 1 : 0;
                }
                catch (SocketException)
                {
                    // Still open (timed out) or reset: not closed cleanly by the API.
                    closed += socket.Poll(0, SelectMode.SelectError) ? 1 : 0;
                }
            }

            Assert.True(closed >= burst.Count(s => s.Connected) - Limit, $"{closed} of {burst.Count(s => s.Connected)} connections were closed by the API");
        }
        finally
        {
            foreach (var socket in burst)
            {
                socket.Dispose();
            }
        }

        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("k:"u8.ToArray()));
        await Eventually.TrueAsync(async () => await TryPostAsync(client, "after-" + Guid.NewGuid()) == HttpStatusCode.OK, "a normal client is answered once the burst is gone", TimeSpan.FromSeconds(30));
        Assert.Equal(0, await api.StopAsync());
    }

    [Fact]
    public async Task TheLimitIsTheProcessesWhateverNumberOfAddressesItListensOn()
    {
        // "localhost" binds two listeners (IPv4 and IPv6), and each further URL one more: the limit counts them all together.
        const int Limit = 4;
        await using var api = new TrackingApiFactory(new Dictionary<string, string?>
        {
            ["Tracking:Limits:MaxConnections"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["urls"] = "http://127.0.0.1:0;http://[::1]:0",
        });
        api.StartServer();
        var addresses = api.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        Assert.Equal(2, addresses.Count);

        var held = new List<Socket>();
        try
        {
            var served = new Dictionary<string, int>();
            foreach (var address in addresses)
            {
                served[address.Authority] = 0;
                for (var i = 0; i < Limit + 1; i++)
                {
                    var (socket, answered) = await RequestAndHoldAsync(address);
                    held.Add(socket);
                    served[address.Authority] += answered ? 1 : 0;
                }
            }

            var report = string.Join(", ", served.Select(s => $"{s.Key}: {s.Value}"));
            Assert.Equal(Limit, served.Values.First());
            Assert.True(served.Values.Sum() == Limit, $"{served.Values.Sum()} connections served and held at once with a limit of {Limit} ({report})");
        }
        finally
        {
            held.ForEach(socket => socket.Dispose());
        }
    }

    /// <summary>Opens a connection, asks for /health/live and keeps the connection open; says whether it was answered.</summary>
    private static async Task<(Socket Socket, bool Answered)> RequestAndHoldAsync(Uri address)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(address.Host.Trim('[', ']')), address.Port);
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"GET /health/live HTTP/1.1\r\nHost: {address.Authority}\r\n\r\n"));
            var buffer = new byte[512];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return (socket, read > 0 && System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 200", StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return (socket, false);
        }
    }

    /// <summary>Sockets the process holds open now, from /proc.</summary>
    private static int Sockets(int pid) =>
        new DirectoryInfo($"/proc/{pid}/fd").EnumerateFileSystemInfos().Count(fd =>
        {
            try
            {
                return fd.LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true;
            }
            catch (IOException)
            {
                return false;
            }
        });

    private static async Task<List<Socket>> HoldConnectionsAsync(Uri address, int count)
    {
        var sockets = new List<Socket>(count);
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.ConnectAsync(IPAddress.Loopback, address.Port, timeout.Token);
                sockets.Add(socket);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
            }
        }

        return sockets;
    }

    private static async Task PostAsync(HttpClient client, string phase, int count, List<string> accepted, bool tolerateRefusals = false)
    {
        for (var i = 0; i < count; i++)
        {
            var id = $"{phase}-{i}-{Guid.NewGuid()}";
            var status = await TryPostAsync(client, id);
            if (status == HttpStatusCode.OK)
            {
                accepted.Add(id);
            }
            else if (!tolerateRefusals)
            {
                Assert.Fail($"{phase}: expected 200 for {id}, got {(status is null ? "no answer" : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            }
        }
    }

    private static async Task<HttpStatusCode?> TryPostAsync(HttpClient client, string messageId)
    {
        try
        {
            using var response = await client.PostAsync("/v1/track", Http.Json($$"""{"userId":"u","event":"E","messageId":"{{messageId}}"}"""));
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
