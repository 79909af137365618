// A tiny Kinesis client for the benchmarks against kinesalite (which checks the SigV4 header's shape, not its signature).
//   create URL STREAM SHARDS            create an empty stream and wait until it is ACTIVE
//   count URL STREAM                    read every shard from its start; print "events records" (aggregated records,
//                                       KPL format, are opened with AWS's aws-kinesis-agg and their events counted)
//   fill URL STREAM SHARDS EVENTS CSV   create the stream, put EVENTS enriched events, write the same rows to CSV for \copy
//   read URL STREAM                     read every shard to its tip and print the record count (the consumer's baseline)
//   steady URL STREAM RATE SECONDS      put RATE events per second for SECONDS, receivedAt set as each is put
// The events are bench/event.json, the one fixture every benchmark posts, as the API writes it (enriched).
import { createWriteStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [command, url, stream, ...rest] = process.argv.slice(2);
const deadline = Date.now() + 600_000;
const call = async (target, body) => {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: {
    'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `Kinesis_20131202.${target}`, 'X-Amz-Date': '20261130T000000Z',
    'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0' } });
  const text = await response.text();
  const json = text ? JSON.parse(text) : {};
  if (!response.ok) throw new Error(`${target}: ${JSON.stringify(json)}`);
  return json;
};
const create = async (shards) => {
  await call('CreateStream', { StreamName: stream, ShardCount: shards });
  while ((await call('DescribeStreamSummary', { StreamName: stream })).StreamDescriptionSummary.StreamStatus !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error('stream not ACTIVE');
    await new Promise(r => setTimeout(r, 50));
  }
};
const fixture = JSON.parse(readFileSync(new URL('./event.json', import.meta.url), 'utf8'));
// The fixture as the API stores it (about 1 KB): its own messageId and user, server times, address and source added.
const event = (i, receivedAt) => ({
  ...fixture, messageId: `bench-${i}`, userId: `user-${i % 5000}`, anonymousId: `anon-${i % 5000}`,
  properties: { ...fixture.properties, position: i % 10 },
  context: { ...fixture.context, ip: '203.0.113.7', userAgent: 'shop/3.2.0 CFNetwork' },
  integrations: {}, timestamp: receivedAt, originalTimestamp: receivedAt, sentAt: receivedAt, receivedAt, source: 'ios',
});
const put = async (entries) => {
  let pending = entries;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 50) throw new Error('records still refused');
    const result = await call('PutRecords', { StreamName: stream, Records: pending });
    pending = pending.filter((_, i) => result.Records[i].ErrorCode);
  }
};
const entry = (e) => ({ PartitionKey: e.userId, Data: Buffer.from(JSON.stringify(e)).toString('base64') });
const csv = (v) => v === undefined || v === null ? '' : `"${(typeof v === 'object' ? JSON.stringify(v) : String(v)).replaceAll('"', '""')}"`;

(async () => {
  if (command === 'create') {
    await create(Number(rest[0]));
  } else if (command === 'fill') {
    const [shards, count, file] = [Number(rest[0]), Number(rest[1]), rest[2]];
    await create(shards);
    const out = createWriteStream(file);
    const loadedAt = new Date().toISOString();
    const batches = [];
    for (let i = 0; i < count; i += 500) {
      const events = [];
      for (let j = i; j < Math.min(count, i + 500); j++) events.push(event(j, new Date().toISOString()));
      for (const e of events) {
        out.write([e.messageId, e.type, e.event, e.name, e.userId, e.anonymousId, e.groupId, e.previousId, e.timestamp, e.originalTimestamp,
          e.sentAt, e.receivedAt, e.source, e.context, e.properties, e.traits, e.integrations, loadedAt].map(csv).join(',') + '\n');
      }
      batches.push(events.map(entry));
    }
    await new Promise(r => out.end(r));
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => { while (next < batches.length) await put(batches[next++]); }));
  } else if (command === 'count') {
    const agg = createRequire(new URL('../tests/emulators/', import.meta.url))('aws-kinesis-agg');
    let events = 0, records = 0;
    for (const shard of (await call('ListShards', { StreamName: stream })).Shards) {
      let iterator = (await call('GetShardIterator', { StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
      for (;;) {
        const page = await call('GetRecords', { ShardIterator: iterator, Limit: 10000 });
        for (const record of page.Records) {
          records++;
          if (Buffer.from(record.Data, 'base64').subarray(0, 4).toString('hex') === 'f3899ac2') {
            agg.deaggregateSync(record, true, (err, users) => { if (err) throw err; events += users.length; });
          } else {
            events++;
          }
        }
        iterator = page.NextShardIterator;
        if (page.Records.length === 0) break;
        if (Date.now() > deadline) throw new Error('count did not finish');
      }
    }
    console.log(`${events} ${records}`);
  } else if (command === 'read') {
    let count = 0;
    const { Shards } = await call('ListShards', { StreamName: stream });
    await Promise.all(Shards.map(async (shard) => {
      let iterator = (await call('GetShardIterator', { StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
      for (;;) {
        const page = await call('GetRecords', { ShardIterator: iterator, Limit: 10000 });
        for (const record of page.Records) Buffer.from(record.Data, 'base64');
        count += page.Records.length;
        iterator = page.NextShardIterator;
        if (page.MillisBehindLatest === 0 && page.Records.length === 0) break;
        if (Date.now() > deadline) throw new Error('read did not finish');
      }
    }));
    console.log(count);
  } else if (command === 'steady') {
    const [rate, seconds] = [Number(rest[0]), Number(rest[1])];
    const tick = 100, perTick = Math.round(rate * tick / 1000), started = Date.now();
    for (let t = 0, i = 0; t < seconds * 1000 / tick; t++) {
      const events = [];
      for (let j = 0; j < perTick; j++, i++) events.push(entry(event(i, new Date().toISOString())));
      await Promise.all(Array.from({ length: Math.ceil(events.length / 500) }, (_, k) => put(events.slice(k * 500, k * 500 + 500))));
      const wait = started + (t + 1) * tick - Date.now();
      if (wait > 0) await new Promise(r => setTimeout(r, wait));
    }
  }
})().catch(e => { console.error(e.message); process.exit(1); });
