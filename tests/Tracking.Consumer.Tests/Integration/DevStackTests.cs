using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Tracking.Testing;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// <c>scripts/dev-stack.sh</c>, as README tells a newcomer to run it: the whole pipeline on this machine
/// (PostgreSQL, kinesalite, s3rver, the API with its Kinesis sink, the consumer), an event posted to the
/// API found in PostgreSQL, the status page opened with the admin key it printed and showing the consumer,
/// then everything stopped by the signal Ctrl-C sends.
/// </summary>
public sealed partial class DevStackTests
{
    [Fact]
    public async Task TheLocalPipelineTakesAnEventIntoPostgreSqlOpensItsStatusPageWithThePrintedKeyAndStopsEverythingOnInterrupt()
    {
        var ports = Enumerable.Range(0, 5).Select(_ => FreePort()).ToArray();
        var state = TemporaryFolder.NewPath("dev-stack-");
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
            await Eventually.TrueAsync(() => Output().Contains("dev-stack ready", StringComparison.Ordinal) || stack.HasExited, "the stack says it is ready, or exits", TimeSpan.FromMinutes(4), Output);
            Assert.False(stack.HasExited, Output());

            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports[0]}") };
            api.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("any-key:"u8.ToArray()));
            var id = Guid.NewGuid().ToString();
            using var response = await api.PostAsync("/v1/track", new StringContent($$"""{"userId":"user-42","event":"Order Completed","messageId":"{{id}}"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            await using var warehouse = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={ports[4]};Database=tracking;Username=postgres");
            await Eventually.TrueAsync(
                async () =>
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
                },
                "the tracked event is in the warehouse",
                TimeSpan.FromSeconds(60),
                Output);

            // The login form, as a person follows the printed lines: the key pasted in, then the pages with the session cookie.
            var adminKey = AdminKeyLine().Match(Output()).Groups[1].Value;
            Assert.True(adminKey.Length >= 16, Output());
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = api.BaseAddress };
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/status.json")).StatusCode);
            using var login = await browser.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = adminKey, ["returnUrl"] = "/status" }));
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            Assert.Equal("/status", login.Headers.Location?.OriginalString);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/status")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/debugger")).StatusCode);
            await Eventually.TrueAsync(
                async () =>
                {
                    var consumer = JsonNode.Parse(await browser.GetStringAsync("/status.json"))!["consumer"]!;
                    return consumer["state"]!.GetValue<string>() == "reachable" && consumer["status"]!["shards"]!.AsArray().Count == 2;
                },
                "the status page shows the consumer reachable, reading both shards",
                TimeSpan.FromSeconds(60),
                Output);
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
        var removed = !Directory.Exists(state);
        TemporaryFolder.Delete(state);
        Assert.True(removed, "the stack's state folder is removed");
    }

    [GeneratedRegex(@"^\s*admin key\s+(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AdminKeyLine();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
