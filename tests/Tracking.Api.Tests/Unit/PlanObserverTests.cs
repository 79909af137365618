using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Tracking.Api.Admin;
using Tracking.Api.Ingestion;
using Tracking.Api.TrackingPlans;
using Tracking.Events;

namespace Tracking.Api.Tests.Unit;

/// <summary>The observer plans are drafted from: sampled per second, bounded, blind to values, and aware of what the privacy rules rewrote.</summary>
public class PlanObserverTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero));

    private PlanObserver Observer(PlanDraftOptions? options = null, bool admin = true) =>
        new(Options.Create(options ?? new PlanDraftOptions()), Options.Create(new AdminOptions { AdminKey = admin ? "an-admin-key-0123456789" : null }), _time);

    private static IncomingMessage Track(string name) => new() { Type = EventType.Track, Event = name };

    private static byte[] Event(string properties) => Encoding.UTF8.GetBytes("""{"type":"track","event":"E","properties":""" + properties + ""","context":{"ip":"1.2.3.4"}}""");

    [Fact]
    public void AFloodOfLongNamesUnderTheDefaultCapsStillDraftsAFileThePlanLoaderReads()
    {
        // Found by a hostile review: 500 names of 96 nested 256-character members each, allowed by the caps alone,
        // drafted 254 MB (2.6 GB to render), and the loader refuses more than 4 MiB.
        var observer = Observer(new PlanDraftOptions { MaxEventsPerSecond = 1_000_000 });
        var random = new Random(23);
        string Long() => new([.. Enumerable.Range(0, PlanObserver.MaxNameLength).Select(_ => (char)('a' + random.Next(26)))]);
        for (var i = 0; i < 1_000; i++)
        {
            var properties = new JsonObject();
            var inner = new JsonObject();
            for (var p = 0; p < 48; p++)
            {
                properties[Long()] = p;
                inner[Long()] = "x";
            }

            properties[Long()] = new JsonObject { [Long()] = inner };
            observer.Observe(Track(Long()), "s", Event(properties.ToJsonString()));
        }

        var observed = observer.Of("s")!;
        var draft = PlanDraft.Build("s", observed, observer.Options).ToJsonString();
        using var folder = new Tracking.Testing.TemporaryFolder();
        var path = Path.Combine(folder.Path, "draft.json");
        File.WriteAllText(path, draft);

        Assert.InRange(Encoding.UTF8.GetByteCount(draft), 1, TrackingPlanLoader.MaxFileBytes);
        Assert.InRange(observed.DraftCharacters, 1, observer.Options.MaxDraftCharacters);
        Assert.True(observed.OmittedEvents + observed.Names.Values.Sum(n => n.OmittedProperties) > 0, "the budget left something out");
        Assert.NotEmpty(TrackingPlanLoader.Load(path).Tracks!);
    }

    [Fact]
    public void AtMostTheConfiguredEventsASecondAreObservedAndEveryOneIsCounted()
    {
        var observer = Observer(new PlanDraftOptions { MaxEventsPerSecond = 3 });

        for (var i = 0; i < 10; i++)
        {
            observer.Observe(Track("E"), "s", Event("{}"));
        }

        var observed = observer.Of("s")!;
        Assert.Equal((3, 10), (observed.Observed, observed.Offered));

        _time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 10; i++)
        {
            observer.Observe(Track("E"), "s", Event("{}"));
        }

        Assert.Equal((6, 20), (observed.Observed, observed.Offered));
        Assert.Equal(6, observed.Names[("track", "E")].Events);
    }

    [Fact]
    public void EventsOfManyThreadsAtOnceAreEachCountedAndAtMostTheSecondsShareIsObserved()
    {
        var observer = Observer(new PlanDraftOptions { MaxEventsPerSecond = 50 });

        // The second is opened first: a thread counting while another opens it may let one more through, as documented.
        observer.Observe(Track("E"), "s", Event("""{"a":1}"""));
        // Long enough on each thread that they overlap even on a busy machine with two cores.
        const int Threads = 4, Each = 250_000;
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < Each; i++)
            {
                observer.Observe(Track("E"), "s", Event("""{"a":1}"""));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var observed = observer.Of("s")!;
        Assert.Equal((50, Threads * Each + 1), (observed.Observed, observed.Offered));
        Assert.Equal(50, observed.Names[("track", "E")].Root.Members!["a"].Count);
    }

    [Fact]
    public void NothingIsObservedWithoutAnAdminKeyOrWhenTurnedOff()
    {
        var withoutKey = Observer(admin: false);
        var off = Observer(new PlanDraftOptions { Enabled = false });

        withoutKey.Observe(Track("E"), "s", Event("{}"));
        off.Observe(Track("E"), "s", Event("{}"));

        Assert.Null(withoutKey.Of("s"));
        Assert.Null(off.Of("s"));
    }

    [Fact]
    public void OnlyNamesAndTypesAreKeptNeverAValue()
    {
        var observer = Observer();

        observer.Observe(Track("E"), "s", Event("""{"secret":"hunter2","pin":1234,"nested":{"token":"abc-XYZ"}}"""));

        var draft = PlanDraft.Build("s", observer.Of("s"), observer.Options).ToJsonString();
        foreach (var value in (string[])["hunter2", "1234", "abc-XYZ", "1.2.3.4"])
        {
            Assert.DoesNotContain(value, draft, StringComparison.Ordinal);
        }

        Assert.Contains("\"token\"", draft, StringComparison.Ordinal);
    }

    [Fact]
    public void NamesAndPathsPastTheCapsAndTheDepthAreLeftOutAndCounted()
    {
        var observer = Observer(new PlanDraftOptions { MaxNamesPerSource = 2, MaxPropertiesPerName = 3, MaxDepth = 1 });

        observer.Observe(Track("A"), "s", Event("""{"a":1,"b":2,"c":3,"d":4,"e":{"deep":1}}"""));
        observer.Observe(Track("B"), "s", Event("{}"));
        observer.Observe(Track("C"), "s", Event("{}"));
        observer.Observe(Track(new string('n', PlanObserver.MaxNameLength + 1)), "s", Event("{}"));
        observer.Observe(Track("A"), "s", Event("""{"a":1,"z":{"deep":{"deeper":1}}}"""));

        var observed = observer.Of("s")!;
        Assert.Equal(["A", "B"], observed.Names.Keys.Select(k => k.Name).Order(StringComparer.Ordinal));
        Assert.Equal(2, observed.OmittedEvents);
        var a = observed.Names[("track", "A")];
        Assert.Equal(["a", "b", "c"], a.Root.Members!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, a.Paths);
        Assert.Equal(3, a.OmittedProperties); // d and e, then z
    }

    [Fact]
    public void ANameWithAControlCharacterOrHalfASurrogatePairIsLeftOut()
    {
        Assert.True(PlanObserver.Keepable("Order 😀 Completed"));
        Assert.False(PlanObserver.Keepable("Order\nCompleted"));
        Assert.False(PlanObserver.Keepable("Order \ud83d"));
        Assert.False(PlanObserver.Keepable("\ude00 Order"));
    }

    [Fact]
    public void AStringAHashOrMaskRuleMadeMayHaveBeenAnyScalarAndArraysAreLookedThrough()
    {
        var observer = Observer();
        string[][] rewriting = [["properties", "card"], ["properties", "items", "sku"], ["properties", "*", "pin"]];

        observer.Observe(
            Track("E"),
            "s",
            Event("""{"card":"hash","items":[{"sku":"hash","qty":2,"name":"n"}],"account":{"pin":"hash","owner":"o"},"plain":"p"}"""),
            rewriting);

        var schema = PlanDraft.Build("s", observer.Of("s"), observer.Options)["track"]!["E"]!["properties"]!["properties"]!;
        string[] anyScalar = ["string", "number", "boolean"];
        Assert.Equal(anyScalar, Types(schema["card"]));
        Assert.Equal(anyScalar, Types(schema["items"]!["items"]!["properties"]!["sku"]));
        Assert.Equal(["string"], Types(schema["items"]!["items"]!["properties"]!["name"]));
        Assert.Equal(["integer"], Types(schema["items"]!["items"]!["properties"]!["qty"]));
        Assert.Equal(anyScalar, Types(schema["account"]!["properties"]!["pin"]));
        Assert.Equal(["string"], Types(schema["account"]!["properties"]!["owner"]));
        Assert.Equal(["string"], Types(schema["plain"]));
    }

    private static string[] Types(JsonNode? schema) =>
        schema!["type"] is JsonArray many ? [.. many.Select(t => t!.GetValue<string>())] : [schema["type"]!.GetValue<string>()];
}
