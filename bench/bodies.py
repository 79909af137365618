#!/usr/bin/env python3
"""Writes the benchmark bodies into the folder given, all made from the one event fixture, bench/event.json (a ~800-byte
track event as a mobile SDK sends it). With no mode: the event and a 100-event batch of it, compact and as Python's
json.dumps writes them (", " and ": " between tokens), the batch also gzipped. The modes below add other bodies:
  web                browser events with real user agents, referrers, campaigns and addresses (bench/enrichment.sh)
  devices N          bodies.ndjson: 64 batches of 100 events from N devices each, no messageId (bench/sinks.sh, aggregation.sh)
  plan               plan.json (a tracking plan of 40 events) and plan-batch.json, which breaks it for 1 event in 32 (bench/plans.sh)
Usage: bench/bodies.py FOLDER [mode [argument]]"""
import gzip, json, pathlib, sys

event = json.loads((pathlib.Path(__file__).parent / "event.json").read_text())
batch = {"batch": [dict(event, messageId="c1f6a7e2-3b4d-4e5f-8a9b-%012x" % i) for i in range(100)],
         "sentAt": "2026-11-21T10:15:31.000Z"}
out = pathlib.Path(sys.argv[1])
compact = (",", ":")
(out / "event.json").write_text(json.dumps(event, separators=compact))
(out / "event-spaced.json").write_text(json.dumps(event))
(out / "batch.json").write_text(json.dumps(batch, separators=compact))
(out / "batch-spaced.json").write_text(json.dumps(batch))
(out / "batch-spaced.json.gz").write_bytes(gzip.compress(json.dumps(batch).encode(), 6))

# With "web" after the folder: WEB_BODIES batches of 100 browser events as a server forwards them (each with its
# visitor's context.ip and userAgent): real user agents (browsers, phones, a few bots), pages with and without UTM
# tags and click ids, referrers from search, social, email and other sites, and addresses spread over the public
# IPv4 space, one per visitor; so every enrichment has work, and the location cache sees thousands of addresses.
mode = sys.argv[2] if len(sys.argv) > 2 else ""
if mode == "web":
    import random
    rng = random.Random(19)
    agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 12; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.193 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/16.6;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
        "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36 Instagram 311.0.0.32.118",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
    ]
    referrers = ["https://www.google.com/", "https://www.bing.com/search?q=board+games", "https://duckduckgo.com/",
                 "https://www.facebook.com/", "https://t.co/abc123", "https://www.reddit.com/r/boardgames/",
                 "https://mail.google.com/mail/u/0/", "https://www.example.com/cart", "https://blog.someone.net/post/42",
                 "https://www.youtube.com/watch?v=x", "", ""]
    searches = ["", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=december",
                "?utm_source=google&utm_medium=cpc&utm_campaign=games&utm_term=monopoly&gclid=EAIaIQobChMI",
                "?fbclid=IwAR2xyz&utm_source=facebook&utm_medium=social", "?ref=home"]
    for b in range(int(__import__("os").environ.get("WEB_BODIES", "50"))):
        events = []
        for i in range(100):
            search = rng.choice(searches)
            path = "/product/%d" % rng.randrange(500)
            ip = "%d.%d.%d.%d" % (rng.choice([n for n in range(1, 224) if n not in (10, 127)]), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
            events.append({"type": "page" if i % 3 == 0 else "track", "event": None if i % 3 == 0 else "Product Viewed",
                           "name": "Product" if i % 3 == 0 else None,
                           "anonymousId": "anon-%06d-%03d" % (b, i), "messageId": "web-%04d-%03d" % (b, i),
                           "properties": {"product_id": "p-%d" % rng.randrange(500), "price": 18.99, "currency": "EUR"},
                           "context": {"ip": ip, "userAgent": rng.choice(agents), "locale": "en-US",
                                       "library": {"name": "analytics.js", "version": "next-1.62.0"},
                                       "page": {"path": path, "referrer": rng.choice(referrers), "search": search,
                                                "title": "Monopoly: 3rd Edition", "url": "https://www.example.com" + path + search}},
                           "timestamp": "2026-11-21T10:15:30.000Z"})
        for e in events:
            for k in [k for k, v in e.items() if v is None]:
                del e[k]
        (out / ("web-batch-%02d.json" % b)).write_text(json.dumps({"batch": events, "sentAt": "2026-11-21T10:15:31.000Z"}, separators=compact))

# As SDKs send a device's queue at a time: each batch holds events of N devices (100 for one device per event).
# No messageId, so the API gives each event its own and every body stays new.
if mode == "devices":
    devices = int(sys.argv[3])
    with open(out / "bodies.ndjson", "w") as lines:
        for b in range(64):
            events = []
            for i in range(100):
                e = {k: v for k, v in event.items() if k not in ("messageId", "userId", "sentAt")}
                e["anonymousId"] = "device-%d-%d" % (b, i % devices)
                events.append(e)
            lines.write(json.dumps({"batch": events, "sentAt": event["sentAt"]}, separators=compact) + "\n")

# A plan of 40 e-commerce events, each property schema a realistic mix of required members, types, enums, bounds and
# formats, and a batch of the fixture event under those names that follows it but for every 32nd event (a wrong type,
# or a name the plan does not list).
if mode == "plan":
    nouns = ["Product", "Order", "Cart", "Checkout", "Coupon", "Wishlist", "Review", "Promotion", "Subscription", "Account"]
    verbs = ["Viewed", "Added", "Removed", "Completed"]
    names = ["%s %s" % (n, v) for n in nouns for v in verbs]
    def schema(i):
        return {
            "type": "object",
            "required": ["product_id", "price", "sku"],
            "properties": {
                "product_id": {"type": "string", "minLength": 1, "maxLength": 64},
                "sku": {"type": "string"},
                "category": {"type": "string", "enum": ["Games", "Books", "Toys", "Garden", "Music"]},
                "name": {"type": "string"},
                "brand": {"type": "string"},
                "variant": {"type": ["string", "null"]},
                "price": {"type": "number", "minimum": 0},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
                "coupon": {"type": ["string", "null"], "pattern": "^[A-Z0-9]{3,16}$"},
                "position": {"type": "integer"},
                "url": {"type": "string", "format": "uri"},
                "image_url": {"type": "string", "format": "uri"},
            },
            "additionalProperties": i % 2 == 0,
        }
    plan = {"description": "bench: 40 e-commerce events", "unplanned": "violation",
            "track": {name: {"properties": schema(i)} for i, name in enumerate(names)},
            "identify": {"traits": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}}}
    (out / "plan.json").write_text(json.dumps(plan, indent=1))
    events = []
    for i in range(100):
        e = dict(event, event=names[i % len(names)], userId="user-%06d" % i, messageId="c1f6a7e2-3b4d-4e5f-8a9b-%012d" % i,
                 properties=dict(event["properties"]))
        if i % 32 == 7:
            e["properties"]["price"] = "18.99"
        if i % 32 == 23:
            e["event"] = "Something Unplanned"
        events.append(e)
    (out / "plan-batch.json").write_text(json.dumps({"batch": events, "sentAt": event["sentAt"]}, separators=compact))
