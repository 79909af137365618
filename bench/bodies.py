#!/usr/bin/env python3
"""Writes the benchmark bodies into the folder given: one ~800-byte track event and a 100-event batch of it,
compact and as Python's json.dumps writes them (", " and ": " between tokens), the batch also gzipped."""
import gzip, json, pathlib, sys

event = {"type": "track", "userId": "user-000042", "anonymousId": "8d6b0a34-54c1-4b9e-9f3a-2f7c1d0e5a61",
         "event": "Product Added",
         "properties": {"product_id": "507f1f77bcf86cd799439011", "sku": "G-32", "category": "Games",
                        "name": "Monopoly: 3rd Edition", "brand": "Hasbro", "variant": "200 pieces", "price": 18.99,
                        "quantity": 1, "coupon": "MAYDEALS", "position": 3, "url": "https://www.example.com/product/path",
                        "image_url": "https://www.example.com/product/path.jpg"},
         "context": {"app": {"name": "shop", "version": "3.2.0", "build": "3201"},
                     "device": {"type": "ios", "model": "iPhone15,2", "manufacturer": "Apple"},
                     "os": {"name": "iOS", "version": "17.1"}, "locale": "en-US", "timezone": "Europe/Berlin",
                     "library": {"name": "analytics-ios", "version": "4.1.8"}},
         "timestamp": "2026-11-21T10:15:30.000Z", "sentAt": "2026-11-21T10:15:31.000Z",
         "messageId": "c1f6a7e2-3b4d-4e5f-8a9b-0c1d2e3f4a5b"}
batch = {"batch": [dict(event, messageId="c1f6a7e2-3b4d-4e5f-8a9b-%012x" % i) for i in range(100)],
         "sentAt": "2026-11-21T10:15:31.000Z"}
out = pathlib.Path(sys.argv[1])
compact = (",", ":")
(out / "event.json").write_text(json.dumps(event, separators=compact))
(out / "event-spaced.json").write_text(json.dumps(event))
(out / "batch.json").write_text(json.dumps(batch, separators=compact))
(out / "batch-spaced.json").write_text(json.dumps(batch))
(out / "batch-spaced.json.gz").write_bytes(gzip.compress(json.dumps(batch).encode(), 6))
