// AWS's own aggregation module (aws-kinesis-agg) as a reference for the tests: reads one JSON request on stdin and
// writes the answer on stdout. {"op":"aggregate","records":[{"partitionKey","explicitHashKey"?,"data"(base64)}]}
// answers [{"partitionKey","explicitHashKey"?,"data"(base64)}] (one or more aggregated records, each up to 1 MiB);
// {"op":"aggregateGroups","groups":[[record, ...], ...]} aggregates each group apart and answers one list per group;
// {"op":"deaggregate","records":[{"sequenceNumber","partitionKey","data"(base64)}]} answers, per record,
// {"records":[{"partitionKey","explicitHashKey","subSequenceNumber","data"}]} or {"error":"..."}.
'use strict';
const agg = require('aws-kinesis-agg');
const { RecordAggregator } = require('aws-kinesis-agg/lib/kpl-agg');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => {
    const request = JSON.parse(input);
    const answer = request.op === 'aggregate' ? aggregate(request.records)
        : request.op === 'aggregateGroups' ? request.groups.map(aggregate)
        : deaggregate(request.records);
    process.stdout.write(JSON.stringify(answer));
});

function aggregate(records) {
    const out = [];
    const aggregator = new RecordAggregator();
    aggregator.aggregateRecords(records.map(r => ({
        partitionKey: r.partitionKey,
        explicitHashKey: r.explicitHashKey,
        data: Buffer.from(r.data, 'base64'),
    })), true, (err, encoded) => {
        if (err) { throw err; }
        out.push({ partitionKey: encoded.partitionKey, explicitHashKey: encoded.ExplicitHashKey, data: encoded.data.toString('base64') });
    });
    return out;
}

function deaggregate(records) {
    return records.map(r => {
        let answer;
        agg.deaggregateSync({ sequenceNumber: r.sequenceNumber, partitionKey: r.partitionKey, data: r.data }, true, (err, userRecords) => {
            answer = err ? { error: String(err.message || err) } : { records: userRecords };
        });
        return answer;
    });
}
