using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Tracking.Testing;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// <c>scripts/dev-stack.sh</c>, as README tells a newcomer to run it: the whole pipeline on this machine
/// (PostgreSQL, kinesalite, s3rver, the API with its Kinesis sink, the consumer), an event posted to the
/// API found in PostgreSQL, then everything stopped by the signal Ctrl-C sends.
/// </summary>
public sealed class DevStackTests
{
    [Fact]
    public async Task TheLocalPipelineTakesAnEventIntoPostgreSqlAndStopsEverythingOnInterrupt()
    {
        var ports = Enumerable.Range(0, 5).Select(_ => FreePort()).ToArray();
        var state = Path.Combine(Path.GetTempPath(), "tracking-tests", "dev-stack-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("bash", [RepositoryRoot.Combine("scripts", "dev-stack.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot.Path,
        };
        start.Environment["API_PORT"] = ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["CONSUMER_PORT"] = ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["KINESIS_PORT"] = ports[2].ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["S3_PORT"] = ports[3].ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PG_PORT"] = ports[4].ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DEV_STACK_DIR"] = state;
        var output = new StringBuilder();
        using var stack = new Process { StartInfo = start };
        stack.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        stack.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        stack.Start();
        stack.BeginOutputReadLine();
        stack.BeginErrorReadLine();
        string Output() { lock (output) { return output.ToString(); } }

        try
        {
            await WaitUntilAsync(() => Task.FromResult(Output().Contains("dev-stack ready", StringComparison.Ordinal) || stack.HasExited), TimeSpan.FromMinutes(4));
            Assert.False(stack.HasExited, Output());

            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports[0]}") };
            api.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("any-key:"u8.ToArray()));
            var id = Guid.NewGuid().ToString();
            using var response = await api.PostAsync("/v1/track", new StringContent($$"""{"userId":"user-42","event":"Order Completed","messageId":"{{id}}"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            await using var warehouse = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={ports[4]};Database=tracking;Username=postgres");
            await WaitUntilAsync(async () =>
            {
                try
                {
                    await using var query = warehouse.CreateCommand("SELECT count(*) FROM events WHERE message_id = $1");
                    query.Parameters.AddWithValue(id);
                    return (long)(await query.ExecuteScalarAsync())! == 1;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!stack.HasExited)
            {
                Assert.Equal(0, Kill(stack.Id, 2)); // SIGINT, what Ctrl-C sends
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await stack.WaitForExitAsync(timeout.Token);
            }
        }

        Assert.Contains("stopped", Output(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(state), "the stack's state folder is removed");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < timeout, $"not reached within {timeout}");
            await Task.Delay(200);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
