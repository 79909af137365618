using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Tests.Support;
using Tracking.Api.TrackingPlans;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>A plan drafted from real traffic on the real API (<c>GET /admin/plans/draft</c>): it loads unchanged, the same traffic keeps to it, anything else does not.</summary>
public sealed class PlanDraftTests : IDisposable
{
    /// <summary>Traffic of every message type the plan knows, with properties of every JSON type, nested objects, arrays, and members not always present.</summary>
    private static readonly string[] Traffic =
    [
        """{"type":"track","userId":"u1","event":"Order Completed","properties":{"orderId":"o1","total":12.5,"items":3,"coupon":"MAY","paid":true,"address":{"city":"Oslo","zip":150},"products":[{"sku":"a","price":2},{"sku":"b"}],"email":"ann@example.com"}}""",
        """{"type":"track","userId":"u2","event":"Order Completed","properties":{"orderId":"o2","total":7,"items":1,"coupon":null,"paid":false,"address":{"city":"Bergen"},"products":[],"email":"bob@example.com"}}""",
        """{"type":"track","userId":"u3","event":"Signed Up"}""",
        """{"type":"track","userId":"u3","event":"x-Custom","properties":{"tags":["a","b"]}}""",
        """{"type":"identify","userId":"u1","traits":{"name":"Ann","age":41,"plan":"pro"}}""",
        """{"type":"identify","userId":"u2","traits":{"name":"Bob"}}""",
        """{"type":"group","userId":"u1","groupId":"g1","traits":{"name":"Acme","employees":50}}""",
        """{"type":"page","userId":"u1","name":"Home","properties":{"path":"/","title":"Shop"}}""",
        Unnamed,
        """{"type":"screen","userId":"u1","name":"Settings","properties":{"tab":2}}""",
        """{"type":"alias","userId":"u1","previousId":"anon-1"}""",
    ];

    /// <summary>A page without a name: a plan lists names only, so the drafted plan, like any plan with pages, calls it unplanned.</summary>
    private const string Unnamed = """{"type":"page","userId":"u1","messageId":"m-unnamed","properties":{"path":"/unnamed"}}""";

    /// <summary>What random names are made of: quotes, backslashes, emoji, YAML's indicators.</summary>
    private static readonly string[] NameParts = ["a", "b", "c", "d", "e", "f", "g", "h", " ", ":", "-", "_", ".", "\"", "\\", "é", "😀", "#", "'", "{", "}", "null", "yes", "0", "?", "&", "*", "!", "|", ">", "%", "@", "`"];

    private readonly string _folder = TemporaryFolder.NewPath("draft-");

    public PlanDraftTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => TemporaryFolder.Delete(_folder);

    private static Dictionary<string, string?> Observing(params (string Key, string? Value)[] more) =>
        OperationsAccessTests.WithAdminKey(
        [
            ("Tracking:PlanDraft:MaxEventsPerSecond", "1000000"),
            // A member a privacy rule drops is stored nowhere: the draft must not name it either.
            ($"Tracking:Privacy:Sources:{TrackingApiFactory.SourceName}:0:Path", "properties.email"),
            ($"Tracking:Privacy:Sources:{TrackingApiFactory.SourceName}:0:Action", "Drop"),
            // Stored as strings whatever was sent, while the plan checks what was sent: the draft must allow any scalar there.
            ($"Tracking:Privacy:Sources:{TrackingApiFactory.SourceName}:1:Path", "properties.items"),
            ($"Tracking:Privacy:Sources:{TrackingApiFactory.SourceName}:1:Action", "Hash"),
            ($"Tracking:Privacy:Sources:{TrackingApiFactory.SourceName}:2:Path", "properties.address"),
            ($"Tracking:Privacy:Sources:{TrackingApiFactory.SourceName}:2:Action", "Mask"),
            ("Tracking:Privacy:HashKey", "plan-draft-test-hash-key-0123456789abcdef"),
            .. more,
        ]);

    private static async Task<string> DraftAsync(TrackingApiFactory api, string format)
    {
        using var admin = TrackingPlanEnforcementTests.AdminClient(api);
        using var response = await admin.GetAsync($"/admin/plans/draft?source={TrackingApiFactory.SourceName}&format={format}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(format == "yaml" ? "application/yaml" : "application/json", response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    [Theory]
    [InlineData("json")]
    [InlineData("yaml")]
    public async Task TheDraftLoadsUnchangedTheSameTrafficKeepsToItAndAnUnseenEventIsFlagged(string format)
    {
        string file;
        await using (var observed = new TrackingApiFactory(Observing()))
        {
            await TrackingPlanEnforcementTests.SendAsync(observed, Traffic);
            file = Path.Combine(_folder, "draft." + format);
            await File.WriteAllTextAsync(file, await DraftAsync(observed, format));
        }

        // The real loader, as the start-up reads it: a draft it refused would stop the next API from starting.
        var plan = TrackingPlanLoader.Load(file);
        Assert.Equal(UnplannedAction.Violation, plan.Unplanned);
        Assert.Equal(["Order Completed", "Signed Up", "x-Custom"], plan.Tracks!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["Home"], plan.Pages!.Keys);
        Assert.Equal(["Settings"], plan.Screens!.Keys);
        Assert.NotNull(plan.Traits);
        Assert.NotNull(plan.GroupTraits);

        await using var checkedApi = new TrackingApiFactory(Observing(
            ($"Tracking:TrackingPlans:{TrackingApiFactory.SourceName}:Path", file),
            ($"Tracking:TrackingPlans:{TrackingApiFactory.SourceName}:Mode", "Flag")));
        using var admin = TrackingPlanEnforcementTests.AdminClient(checkedApi);
        const string Unseen = """{"type":"track","userId":"u9","event":"Never Seen","messageId":"m-unseen"}""";
        const string WrongType = """{"type":"track","userId":"u9","event":"Order Completed","messageId":"m-wrong","properties":{"orderId":1,"total":1,"items":1,"coupon":null,"paid":true,"address":{"city":"Oslo"},"products":[]}}""";
        const string Missing = """{"type":"identify","userId":"u9","messageId":"m-missing","traits":{"age":3}}""";
        await TrackingPlanEnforcementTests.SendAsync(checkedApi, [.. Traffic, Unseen, WrongType, Missing]);
        await TrackingPlanEnforcementTests.DeliveredAsync(admin, Traffic.Length + 3);
        await checkedApi.ShutdownAsync();

        var stored = Outbox.ReadEvents(checkedApi.OutboxDirectory);
        var flagged = stored.Where(e => e["violations"] is not null).ToDictionary(e => e["messageId"]!.GetValue<string>(), e => e["violations"]!.AsArray());
        // Everything of the traffic the draft was made from keeps to it, but for the one page without a name.
        Assert.Equal(["m-missing", "m-unnamed", "m-unseen", "m-wrong"], flagged.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("unplanned", "/name"), (flagged["m-unnamed"].Single()!["rule"]!.GetValue<string>(), flagged["m-unnamed"].Single()!["path"]!.GetValue<string>()));
        Assert.Equal("unplanned", flagged["m-unseen"].Single()!["rule"]!.GetValue<string>());
        var wrong = flagged["m-wrong"].Single()!;
        Assert.Equal(("type", "/properties/orderId"), (wrong["rule"]!.GetValue<string>(), wrong["path"]!.GetValue<string>()));
        var missing = flagged["m-missing"].Single()!;
        Assert.Equal(("required", "/traits"), (missing["rule"]!.GetValue<string>(), missing["path"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ARequestRefusedWholeIsNotDraftedFromSoItsRetryCountsOnce()
    {
        var sink = new SwitchableSink();
        await using var api = new TrackingApiFactory(
            Observing(("Tracking:Spool:Durability", "Memory"), ("Tracking:Queue:MaxEvents", "3")),
            services => services.AddSingleton<Tracking.Api.Delivery.IEventSink>(sink));
        using var client = api.CreateAuthenticatedClient();

        using var accepted = await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"Accepted Event"}"""));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);

        // The queue (the sink is down) has room when the request arrives but not for its three events: screened, then refused with 503.
        using var refused = await client.PostAsync("/v1/batch", Http.Json("""{"batch":[{"type":"track","userId":"u","event":"Refused Event"},{"type":"track","userId":"u","event":"Refused Event"},{"type":"track","userId":"u","event":"Refused Event"}]}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);

        var draft = JsonNode.Parse(await DraftAsync(api, "json"))!.AsObject();
        Assert.Equal(1, draft["x-observed"]!["events"]!.GetValue<long>());
        Assert.Equal(["Accepted Event"], draft["track"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task TheJsonDraftHasTheObservedTypesRequiredMembersAndCountsAndNoDroppedMember()
    {
        await using var api = new TrackingApiFactory(Observing());
        await TrackingPlanEnforcementTests.SendAsync(api, Traffic);
        var draft = JsonNode.Parse(await DraftAsync(api, "json"))!.AsObject();

        var observed = draft["x-observed"]!;
        Assert.Equal(TrackingApiFactory.SourceName, observed["source"]!.GetValue<string>());
        Assert.Equal(Traffic.Length - 1, observed["events"]!.GetValue<long>()); // alias messages name nothing
        Assert.Equal(1, observed["unnamed"]!.GetValue<long>());
        Assert.Equal(0, observed["omittedEvents"]!.GetValue<long>());

        var order = draft["track"]!["Order Completed"]!;
        Assert.Equal(2, order["x-observed"]!["events"]!.GetValue<long>());
        var schema = order["properties"]!;
        Assert.Equal("object", schema["type"]!.GetValue<string>());
        Assert.Equal(["address", "coupon", "items", "orderId", "paid", "products", "total"], Strings(schema["required"]));
        var properties = schema["properties"]!;
        Assert.Null(properties["email"]);
        Assert.Equal("string", properties["orderId"]!["type"]!.GetValue<string>());
        Assert.Equal("number", properties["total"]!["type"]!.GetValue<string>()); // 12.5 and 7: "number" holds the integer
        Assert.Equal(["string", "number", "boolean"], Strings(properties["items"]!["type"]));
        Assert.Equal(["string", "null"], Strings(properties["coupon"]!["type"]));
        Assert.Equal("boolean", properties["paid"]!["type"]!.GetValue<string>());
        var counts = order["x-observed"]!["properties"]!;
        Assert.Equal(1, counts["/coupon"]!["types"]!["null"]!.GetValue<long>());
        Assert.Equal(2, counts["/coupon"]!["count"]!.GetValue<long>());
        Assert.Equal(2, counts["/items"]!["types"]!["rewritten"]!.GetValue<long>());
        Assert.Equal(["city"], Strings(properties["address"]!["required"]));
        Assert.Equal("object", properties["address"]!["type"]!.GetValue<string>());
        Assert.Equal(["string", "number", "boolean"], Strings(properties["address"]!["properties"]!["zip"]!["type"]));
        var products = properties["products"]!;
        Assert.Equal("array", products["type"]!.GetValue<string>());
        Assert.Equal(["sku"], Strings(products["items"]!["required"]));
        Assert.Equal(2, counts["/products/[]"]!["count"]!.GetValue<long>());
        Assert.Equal(1, counts["/products/[]/price"]!["types"]!["integer"]!.GetValue<long>());
        Assert.Equal("integer", products["items"]!["properties"]!["price"]!["type"]!.GetValue<string>());

        Assert.Equal(["name"], Strings(draft["identify"]!["traits"]!["required"]));
        Assert.Equal("integer", draft["group"]!["traits"]!["properties"]!["employees"]!["type"]!.GetValue<string>());
        Assert.Equal("integer", draft["screen"]!["Settings"]!["properties"]!["properties"]!["tab"]!["type"]!.GetValue<string>());
        Assert.Equal("object", draft["track"]!["Signed Up"]!["properties"]!["type"]!.GetValue<string>());
        Assert.Null(draft["track"]!["Signed Up"]!["properties"]!["required"]);
    }

    [Fact]
    public async Task TheYamlDraftIsTheJsonDraftWithTheCountsAsComments()
    {
        await using var api = new TrackingApiFactory(Observing());
        await TrackingPlanEnforcementTests.SendAsync(api, Traffic);
        var json = JsonNode.Parse(await DraftAsync(api, "json"))!;
        var yaml = await DraftAsync(api, "yaml");

        Assert.Contains("# events 2;", yaml, StringComparison.Ordinal);
        Assert.Contains("# count 2; types: string 1, null 1\n        coupon:", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("x-observed", yaml, StringComparison.Ordinal);
        var read = YamlToJson.Convert(new StringReader(yaml));
        Assert.True(JsonNode.DeepEquals(WithoutCounts(json), read), $"YAML reads as {read?.ToJsonString()}");
    }

    [Fact]
    public async Task ManyRandomNamesStayWithinTheCapsAndWhatIsLeftOutIsCounted()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        var random = new Random(seed);
        const int MaxNames = 20, MaxProperties = 12, MaxDepth = 2;
        await using var api = new TrackingApiFactory(Observing(
            ("Tracking:PlanDraft:MaxNamesPerSource", MaxNames.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Tracking:PlanDraft:MaxPropertiesPerName", MaxProperties.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Tracking:PlanDraft:MaxDepth", MaxDepth.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        // Starting with a letter: a track's event must not be blank.
        string Name() => "abcdefgh"[random.Next(8)] + string.Concat(Enumerable.Range(0, random.Next(0, 8)).Select(_ => NameParts[random.Next(NameParts.Length)]));
        string Members(int depth) =>
            string.Join(',', Enumerable.Range(0, random.Next(depth == 0 ? 8 : 4)).Select(_ => Name()).Distinct(StringComparer.Ordinal)
                .Select(n => $"{System.Text.Json.JsonSerializer.Serialize(n)}:{Value(depth + 1)}"));
        string Value(int depth) => random.Next(depth > 3 ? 4 : 6) switch
        {
            0 => "\"s\"",
            1 => random.Next(2) == 0 ? "1" : "1.5",
            2 => "true",
            3 => "null",
            4 => $"[{Value(depth + 1)},{Value(depth + 1)}]",
            _ => $"{{{Members(depth)}}}",
        };

        var names = new List<string>();
        var sent = new List<(string Name, string Json)>();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        long left = 0;
        for (var round = 0; round < 4; round++)
        {
            var batch = new List<string>();
            for (var i = 0; i < 50; i++)
            {
                var name = random.Next(3) == 0 && names.Count > 0 ? names[random.Next(names.Count)] : Name();
                names.Add(name);
                if (kept.Count < MaxNames || kept.Contains(name))
                {
                    kept.Add(name);
                }
                else
                {
                    left++;
                }

                var properties = Members(0);
                sent.Add((name, $$$"""{"userId":"u","event":{{{System.Text.Json.JsonSerializer.Serialize(name)}}},"properties":{{{{properties}}}}}"""));
                batch.Add($$$"""{"type":"track","userId":"u","event":{{{System.Text.Json.JsonSerializer.Serialize(name)}}},"properties":{{{{properties}}}}}""");
            }

            await TrackingPlanEnforcementTests.SendAsync(api, [.. batch]);
        }

        var body = await DraftAsync(api, "json");
        var draft = JsonNode.Parse(body)!.AsObject();
        var tracks = draft["track"]!.AsObject();
        Assert.True(kept.SetEquals(tracks.Select(t => t.Key)), $"seed {seed} (FUZZ_SEED to replay): the draft lists other names than the first {MaxNames}");
        Assert.True(left == draft["x-observed"]!["omittedEvents"]!.GetValue<long>(), $"seed {seed}: {left} events of names over the cap");
        foreach (var (name, entry) in tracks)
        {
            var (paths, depth) = Measure(entry!["properties"]!, 0);
            Assert.True(paths <= MaxProperties, $"seed {seed}: '{name}' has {paths} paths");
            Assert.True(depth <= MaxDepth, $"seed {seed}: '{name}' is {depth} deep");
        }

        // And the draft still loads, names of quotes, backslashes, emoji and YAML's specials included.
        foreach (var format in (string[])["json", "yaml"])
        {
            var file = Path.Combine(_folder, "fuzz." + format);
            await File.WriteAllTextAsync(file, format == "json" ? body : await DraftAsync(api, format));
            var plan = TrackingPlanLoader.Load(file);
            Assert.True(kept.SetEquals(plan.Tracks!.Keys), $"seed {seed}: the {format} draft loads with other names");

            // Every event it was drafted from keeps to it, but those of the names left out.
            foreach (var (name, json) in sent)
            {
                var message = Tracking.Api.Ingestion.MessageParser.ParseSingle(System.Text.Encoding.UTF8.GetBytes(json), Tracking.Events.EventType.Track).Messages.Single();
                var violations = plan.Check(message);
                Assert.True(kept.Contains(name) ? violations is null : violations is [{ Rule: "unplanned" }], $"seed {seed}: {json} in the {format} draft: {string.Join("; ", violations ?? [])}");
            }
        }
    }

    [Fact]
    public async Task TheDraftNeedsTheAdminKey()
    {
        await using var api = new TrackingApiFactory(Observing());
        const string Path = $"/admin/plans/draft?source={TrackingApiFactory.SourceName}";
        using var anonymous = api.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Path)).StatusCode);
        using var writer = api.CreateAuthenticatedClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await writer.GetAsync(Path)).StatusCode);
        using var wrong = api.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperationsAccessTests.AdminKey + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(Path)).StatusCode);
    }

    [Fact]
    public async Task BadInputIsAnsweredWithProblemDetails()
    {
        await using var api = new TrackingApiFactory(Observing());
        using var admin = TrackingPlanEnforcementTests.AdminClient(api);

        var none = await (await admin.GetAsync("/admin/plans/draft")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("source", none["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var format = await (await admin.GetAsync($"/admin/plans/draft?source={TrackingApiFactory.SourceName}&format=xml")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("yaml", format["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var unknown = await (await admin.GetAsync("/admin/plans/draft?source=nope")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains($"'{TrackingApiFactory.SourceName}'", unknown["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // A known source nothing was observed of yet: an empty draft, not an error.
        var empty = JsonNode.Parse(await DraftAsync(api, "json"))!;
        Assert.Equal(0, empty["x-observed"]!["events"]!.GetValue<long>());
        Assert.Empty(empty["track"]!.AsObject());
    }

    [Fact]
    public async Task WithDraftingOffTheEndpointSaysSoAndNothingIsObserved()
    {
        await using var api = new TrackingApiFactory(Observing(("Tracking:PlanDraft:Enabled", "false")));
        using var admin = TrackingPlanEnforcementTests.AdminClient(api);
        await TrackingPlanEnforcementTests.SendAsync(api, Traffic[0]);
        var problem = await (await admin.GetAsync($"/admin/plans/draft?source={TrackingApiFactory.SourceName}")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("Tracking:PlanDraft:Enabled", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(n => n!.GetValue<string>())];

    /// <summary>The draft without its x-observed members, as the YAML form carries it.</summary>
    private static JsonNode? WithoutCounts(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (key != PlanDraft.Observed)
                    {
                        copy[key] = WithoutCounts(value);
                    }
                }

                return copy;
            case JsonArray a:
                return new JsonArray([.. a.Select(WithoutCounts)]);
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>How many paths a drafted schema holds (members and items) and how deep they go.</summary>
    private static (int Paths, int Depth) Measure(JsonNode schema, int depth)
    {
        var (paths, deepest) = (0, depth);
        var children = (schema["properties"]?.AsObject().Select(p => p.Value!) ?? []).Concat(schema["items"] is { } items ? [items] : []);
        foreach (var child in children)
        {
            var (p, d) = Measure(child, depth + 1);
            paths += 1 + p;
            deepest = Math.Max(deepest, d);
        }

        return (paths, deepest);
    }
}
