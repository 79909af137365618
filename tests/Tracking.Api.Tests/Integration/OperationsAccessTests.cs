using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// /metrics, /status, /status.json, /debugger and the login form: served only with Tracking:AdminKey set, and then
/// only to the admin key (a bearer token, or the cookie the login form trades it for). /metrics is scraped from
/// the real app in a child process, whose meters no other test's host shares.
/// </summary>
public partial class OperationsAccessTests
{
    public const string AdminKey = "test-admin-key-0123456789";

    private static readonly string[] OperationsPaths = ["/metrics", "/status", "/status.json", "/debugger", "/debugger/events", "/admin/login", "/admin/assets/status.js"];

    public static Dictionary<string, string?> WithAdminKey(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Tracking:AdminKey"] = AdminKey };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A client that shows redirects and cookies as they are sent instead of following and storing them.</summary>
    private static HttpClient NoRedirects(TrackingApiFactory api)
    {
        using var probe = api.CreateClient();
        return new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = probe.BaseAddress };
    }

    [Fact]
    public async Task WithoutAnAdminKeyNoneOfTheOperationsEndpointsIsServed()
    {
        await using var api = new TrackingApiFactory();
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        foreach (var path in OperationsPaths)
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path} answered {(int)response.StatusCode} with no admin key configured");
        }
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/status.json")]
    [InlineData("/debugger/events")]
    public async Task ScriptsWithoutTheKeyOrWithAWrongOneGetA401ProblemAskingForABearerToken(string path)
    {
        await using var api = new TrackingApiFactory(WithAdminKey());
        using var client = api.CreateClient();

        // Headers only: a stream that wrongly opened would never end.
        using var none = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        await none.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey + "x");
        using var refused = await client.SendAsync(wrong, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await refused.ProblemAsync(HttpStatusCode.Unauthorized);

        using var basic = new HttpRequestMessage(HttpMethod.Get, path);
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("test-write-key:"u8.ToArray()));
        using var writeKey = await client.SendAsync(basic, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, writeKey.StatusCode);
        await writeKey.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("/status")]
    [InlineData("/debugger")]
    public async Task APageWithoutASessionSendsTheBrowserToTheLoginForm(string path)
    {
        await using var api = new TrackingApiFactory(WithAdminKey());
        using var client = NoRedirects(api);
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/admin/login?returnUrl={Uri.EscapeDataString(path)}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task TheLoginFormTradesTheKeyForAnHttpOnlyStrictCookieThatOpensThePagesAndAWrongKeyGetsNone()
    {
        await using var api = new TrackingApiFactory(WithAdminKey());
        using var client = NoRedirects(api);

        using var wrong = await client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = "not-the-admin-key", ["returnUrl"] = "/debugger" }));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"), "a wrong key gets no cookie");
        Assert.Contains("That is not the admin key.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var right = await client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AdminKey, ["returnUrl"] = "/debugger" }));
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal("/debugger", right.Headers.Location!.OriginalString);
        var setCookie = right.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith("tracking_admin=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(AdminKey, setCookie, StringComparison.Ordinal);
        var cookie = setCookie.Split(';')[0];

        foreach (var path in new[] { "/status", "/debugger", "/status.json" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Cookie", cookie);
            using var page = await client.SendAsync(request);
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{path} with the session cookie answered {(int)page.StatusCode}");
            Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
            Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }

        // A cookie whose signature was not made with the admin key (here: its expiry moved on) opens nothing.
        var forged = cookie.Replace("tracking_admin=1", "tracking_admin=2", StringComparison.Ordinal);
        using var forgedRequest = new HttpRequestMessage(HttpMethod.Get, "/status.json");
        forgedRequest.Headers.Add("Cookie", forged);
        using var refused = await client.SendAsync(forgedRequest);
        await refused.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TenWrongKeysFromAnAddressShutItOutEvenWithTheRightKeyWhileASessionAlreadyOpenStaysOpen()
    {
        await using var api = new TrackingApiFactory(WithAdminKey());
        using var client = NoRedirects(api);
        using var login = await client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AdminKey }));
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        // Wrong keys by the form and by bearer tokens count together; a request with no key at all is not a guess.
        for (var i = 0; i < 5; i++)
        {
            using var form = await client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = $"guess-{i}" }));
            Assert.Equal(HttpStatusCode.Unauthorized, form.StatusCode);
            using var bearer = new HttpRequestMessage(HttpMethod.Get, "/status.json");
            bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"guess-bearer-{i}");
            using var refused = await client.SendAsync(bearer);
            await refused.ProblemAsync(HttpStatusCode.Unauthorized);
            using var anonymous = await client.GetAsync("/status.json");
            await anonymous.ProblemAsync(HttpStatusCode.Unauthorized);
        }

        using var rightBearer = new HttpRequestMessage(HttpMethod.Get, "/status.json");
        rightBearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var shutOut = await client.SendAsync(rightBearer);
        var problem = await shutOut.ProblemAsync((HttpStatusCode)429);
        Assert.Equal("Too many wrong admin keys", (string?)problem["title"]);
        var wait = int.Parse(shutOut.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(wait, 1, 60);

        using var rightForm = await client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AdminKey }));
        Assert.Equal((HttpStatusCode)429, rightForm.StatusCode);
        Assert.False(rightForm.Headers.Contains("Set-Cookie"), "no session is handed out while the address is shut out");
        Assert.Contains("Too many wrong keys from this address", await rightForm.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(rightForm.Headers.Contains("Retry-After"));

        using var withSession = new HttpRequestMessage(HttpMethod.Get, "/status.json");
        withSession.Headers.Add("Cookie", cookie);
        using var open = await client.SendAsync(withSession);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
    }

    [Fact]
    public async Task AnotherSitesPagePostingTheLoginFormNeitherLogsInNorShutsTheOperatorOut()
    {
        await using var api = new TrackingApiFactory(WithAdminKey());
        using var client = NoRedirects(api);

        // A form on another site needs no CORS to post here: it must not count, or any page an operator opens could lock them out.
        for (var i = 0; i < 2 * Tracking.ServiceDefaults.AdminKeyGuesses.Allowed; i++)
        {
            using var post = new HttpRequestMessage(HttpMethod.Post, "/admin/login")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = i == 0 ? AdminKey : $"guess-{i}" }),
            };
            if (i % 2 == 0)
            {
                post.Headers.Add("Sec-Fetch-Site", "cross-site");
            }
            else
            {
                post.Headers.Add("Origin", "https://elsewhere.example");
            }

            using var refused = await client.SendAsync(post);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.False(refused.Headers.Contains("Set-Cookie"), "another site's post gets no session, even with the right key");
        }

        // Nor do posts with no key at all.
        for (var i = 0; i < 2 * Tracking.ServiceDefaults.AdminKeyGuesses.Allowed; i++)
        {
            using var empty = await client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = "" }));
            Assert.Equal(HttpStatusCode.Unauthorized, empty.StatusCode);
        }

        using var scrape = new HttpRequestMessage(HttpMethod.Get, "/status.json");
        scrape.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var open = await client.SendAsync(scrape);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);

        // The login page itself posts same-origin, as a browser says.
        using var own = new HttpRequestMessage(HttpMethod.Post, "/admin/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AdminKey }),
        };
        own.Headers.Add("Sec-Fetch-Site", "same-origin");
        own.Headers.Add("Origin", client.BaseAddress!.GetLeftPart(UriPartial.Authority));
        using var loggedIn = await client.SendAsync(own);
        Assert.Equal(HttpStatusCode.Redirect, loggedIn.StatusCode);
    }

    [Fact]
    public async Task AnAddressShutOutForWrongKeysMayTryAgainWhenItsWindowEndsAndOthersNeverWait()
    {
        using var guesses = new Tracking.ServiceDefaults.AdminKeyGuesses(TimeSpan.FromMilliseconds(500));
        for (var i = 0; i < Tracking.ServiceDefaults.AdminKeyGuesses.Allowed; i++)
        {
            Assert.False(guesses.LockedOut("192.0.2.1", out _), $"shut out after {i} wrong keys");
            guesses.Wrong("192.0.2.1");
        }

        Assert.True(guesses.LockedOut("192.0.2.1", out var retryAfter));
        Assert.InRange(retryAfter, TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(500));
        Assert.False(guesses.LockedOut("192.0.2.2", out _), "another address is not shut out");
        Assert.Equal("1", Tracking.ServiceDefaults.AdminKeyGuesses.RetryAfterSeconds(retryAfter));

        // Real time: the window is a System.Threading.RateLimiting limiter, which takes no TimeProvider.
        await Eventually.TrueAsync(() => !guesses.LockedOut("192.0.2.1", out _), "the address may try again once its 500 ms window ends", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ALoginReturnsOnlyToTheOperationsPagesNeverToAnotherSite()
    {
        await using var api = new TrackingApiFactory(WithAdminKey());
        using var client = NoRedirects(api);
        using var response = await client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AdminKey, ["returnUrl"] = "//evil.example/" }));
        Assert.Equal("/status", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task AnAdminKeyThatIsAlsoAWriteKeyRefusesTheStart()
    {
        // A web source's write key sits in every page: as the admin key it would open the operations pages to anyone.
        var (exitCode, _, stderr) = await ApiProcess.RunToExitAsync(ApiProcess.BuiltDll, new Dictionary<string, string>
        {
            ["Tracking__WriteKeys__shared-key-0123456789"] = "web",
            ["Tracking__AdminKey"] = "shared-key-0123456789",
        });
        Assert.Equal(2, exitCode);
        Assert.StartsWith("Tracking.Api cannot start: Tracking:AdminKey must not be one of the write keys", stderr.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("shared-key-0123456789", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdminKeyShorterThanSixteenCharactersRefusesTheStartWithOneLineNamingTheSetting()
    {
        var (exitCode, _, stderr) = await ApiProcess.RunToExitAsync(ApiProcess.BuiltDll, new Dictionary<string, string>
        {
            ["Tracking__WriteKeys__k"] = "source",
            ["Tracking__AdminKey"] = "short",
        });
        Assert.Equal(2, exitCode);
        Assert.StartsWith("Tracking.Api cannot start: Tracking:AdminKey must be 16 to 1024 characters long", stderr.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsScrapedWithTheKeyCarryTheCountsOfWhatTheTestSentAndTheKeyNeverReachesTheLog()
    {
        var outbox = TemporaryFolder.NewPath();
        await using var api = await ApiProcess.StartAsync(ApiProcess.BuiltDll, new Dictionary<string, string>
        {
            ["Tracking__WriteKeys__metrics-write-key"] = "metrics-source",
            ["Tracking__AdminKey"] = AdminKey,
            ["Tracking__File__Directory"] = outbox,
            ["Tracking__Batching__Linger"] = "00:00:00.020",
            // Everything a request can make the app log, so a key that leaked anywhere would show.
            ["Logging__LogLevel__Default"] = "Trace",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace",
        });
        try
        {
            using var client = api.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("metrics-write-key:"u8.ToArray()));
            using var batch = await client.PostAsync("/v1/batch", Http.Json(
                """{"batch":[{"type":"track","userId":"u1","event":"A"},{"type":"track","userId":"u2","event":"B"},{"type":"track","userId":"u3"},{"type":"identify","userId":"u4"}]}"""));
            Assert.Equal(HttpStatusCode.OK, batch.StatusCode);

            using var scraper = api.CreateClient();
            using var anonymous = await scraper.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using var login = await scraper.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AdminKey }));
            scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

            var text = "";
            await Eventually.TrueAsync(
                async () =>
                {
                    using var response = await scraper.GetAsync("/metrics");
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
                    text = await response.Content.ReadAsStringAsync();
                    return Sample(text, "tracking_events_accepted_total", "source=\"metrics-source\"") == 3 &&
                           Sample(text, "tracking_delivery_sent_total", "sink=\"File\"") == 3;
                },
                "the scrape shows the three accepted and delivered events");

            Assert.Equal(1, Sample(text, "tracking_events_rejected_total", "reason=\"invalid\""));
            Assert.Equal(0, Sample(text, "tracking_queue_depth", ""));
            Assert.Contains("# TYPE tracking_events_accepted_total counter", text, StringComparison.Ordinal);
            Assert.Contains("http_server_request_duration_seconds_count", text, StringComparison.Ordinal);
        }
        finally
        {
            await api.StopAsync();
            TemporaryFolder.Delete(outbox);
            Assert.DoesNotContain(AdminKey, api.Output, StringComparison.Ordinal);
            Assert.Contains("/metrics", api.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>The value of the sample of <paramref name="metric"/> whose labels contain <paramref name="label"/>; null when there is none.</summary>
    private static double? Sample(string exposition, string metric, string label)
    {
        foreach (Match match in SampleLine().Matches(exposition))
        {
            if (match.Groups["name"].Value == metric && match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            {
                return double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
