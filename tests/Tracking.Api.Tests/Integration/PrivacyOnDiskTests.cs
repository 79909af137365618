using System.Net;
using System.Security.Cryptography;
using System.Text;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// The privacy rules hold where it matters: the real app in its own process, on Kestrel, spooling with fsync into
/// the File sink, logging everything at Trace; afterwards no file it wrote, and no line it logged, holds a raw value.
/// </summary>
public sealed class PrivacyOnDiskTests : IDisposable
{
    private const string HashKey = "privacy-test-hash-key-0123456789abcdef";
    private const string Email = "ann.secret@example.com";
    private const string Phone = "+15557654321";
    private const string ContextEmail = "ctx.secret@example.net";
    private const string ClientIp = "198.51.100.23";

    private readonly string _root = TemporaryFolder.NewPath("privacy-");

    public void Dispose() => TemporaryFolder.Delete(_root);

    private string Outbox => Path.Combine(_root, "outbox");

    private Dictionary<string, string> Settings() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Tracking__WriteKeys__privacy-key"] = "web",
        ["Tracking__File__Directory"] = Outbox,
        ["Tracking__File__MaxFileAge"] = "00:00:00.100",
        ["Tracking__Spool__Directory"] = Path.Combine(_root, "spool"),
        ["Tracking__Spool__Durability"] = "Fsync",
        ["Tracking__RateLimit__PerAddressPermitsPerSecond"] = "0",
        ["Tracking__RateLimit__PermitsPerSecond"] = "0",
        ["Logging__LogLevel__Default"] = "Trace",
        ["Logging__Console__LogLevel__Default"] = "Trace",
        ["Tracking__Privacy__HashKey"] = HashKey,
        ["Tracking__Privacy__Sources__web__0__Path"] = "properties.email",
        ["Tracking__Privacy__Sources__web__0__Action"] = "Hash",
        ["Tracking__Privacy__Sources__web__1__Path"] = "traits.phone",
        ["Tracking__Privacy__Sources__web__1__Action"] = "Drop",
        ["Tracking__Privacy__Sources__web__2__Path"] = "context.traits.*",
        ["Tracking__Privacy__Sources__web__2__Action"] = "Mask",
        ["Tracking__Privacy__Sources__web__3__Path"] = "context.ip",
        ["Tracking__Privacy__Sources__web__3__Action"] = "Hash",
    };

    [Fact]
    public async Task NoFileTheApiWritesAndNoLineItLogsHoldsAValueARuleHashesDropsOrMasks()
    {
        Directory.CreateDirectory(_root);
        string output;
        await using (var api = await ApiProcess.StartAsync(ApiProcess.BuiltDll, Settings(), workingDirectory: _root))
        {
            using var client = api.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("privacy-key:")));

            var batch = $$$$"""
                {"batch":[
                  {"type":"track","userId":"u1","event":"Signed Up","properties":{"email":"{{{{Email}}}}","plan":"pro"},"context":{"ip":"{{{{ClientIp}}}}","traits":{"email":"{{{{ContextEmail}}}}","phone":"{{{{Phone}}}}"}}},
                  {"type":"identify","userId":"u1","traits":{"phone":"{{{{Phone}}}}","name":"Ann"},"context":{"ip":"{{{{ClientIp}}}}"}},
                  {"type":"track","event":"","properties":{"email":"{{{{Email}}}}"}}
                ]}
                """;
            var answer = await client.PostAsync("/v1/batch", Http.Json(batch));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

            // A beacon: no header, the key in a text/plain body.
            var beacon = await new HttpClient { BaseAddress = api.BaseAddress }.PostAsync(
                "/v1/page",
                Http.Json($$$$"""{"writeKey":"privacy-key","anonymousId":"a1","name":"Home","properties":{"email":"{{{{Email}}}}"},"context":{"traits":{"phone":"{{{{Phone}}}}"}}}""", "text/plain"));
            Assert.Equal(HttpStatusCode.OK, beacon.StatusCode);

            await Eventually.TrueAsync(() => Support.Outbox.ReadEvents(Outbox).Count == 3, "the three accepted events are in the outbox", TimeSpan.FromSeconds(30));
            Assert.Equal(0, await api.StopAsync());
            output = api.Output;
        }

        // The events did reach the disk, with the rules' results in them.
        var stored = string.Join('\n', Support.Outbox.CompleteFiles(Outbox).Select(File.ReadAllText));
        Assert.Contains(Hmac(Email), stored, StringComparison.Ordinal);
        Assert.Contains(Hmac(ClientIp), stored, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"Ann\"", stored, StringComparison.Ordinal);

        var files = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.EndsWith(".spool", StringComparison.Ordinal));
        foreach (var raw in (string[])[Email, Phone, ContextEmail, ClientIp])
        {
            var bytes = Encoding.UTF8.GetBytes(raw);
            foreach (var file in files)
            {
                Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(bytes) < 0, $"{file} holds '{raw}'.");
            }

            Assert.DoesNotContain(raw, output, StringComparison.Ordinal);
        }

        // Trace logging was on: the check above read a log that had lines in it.
        Assert.Contains("trce:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHashRuleWithoutAHashKeyStopsTheStartWithOneLineNamingTheSetting()
    {
        var settings = Settings();
        settings.Remove("Tracking__Privacy__HashKey");

        var (exitCode, _, stderr) = await ApiProcess.RunToExitAsync(ApiProcess.BuiltDll, settings);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("Tracking.Api cannot start: ", stderr, StringComparison.Ordinal);
        Assert.Contains("Tracking:Privacy:HashKey is not set", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadRulePathStopsTheStartNamingTheRule()
    {
        var settings = Settings();
        settings["Tracking__Privacy__Sources__web__1__Path"] = "traits..phone";

        var (exitCode, _, stderr) = await ApiProcess.RunToExitAsync(ApiProcess.BuiltDll, settings);

        Assert.Equal(2, exitCode);
        Assert.Contains("Tracking:Privacy:Sources:web:1:Path is 'traits..phone'", stderr, StringComparison.Ordinal);
    }

    private static string Hmac(string text) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HashKey), Encoding.UTF8.GetBytes(text)));
}
