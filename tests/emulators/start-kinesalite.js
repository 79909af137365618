// Starts kinesalite bound to 127.0.0.1 (its own CLI listens on every interface) and prints the
// address it got, so a test fixture can pass --port 0 and read the port back.
// Usage: node start-kinesalite.js [--port 4567] [--createStreamMs 500] [--deleteStreamMs 500]
//        [--updateStreamMs 500] [--shardLimit 10]
'use strict';

// kinesalite never answers GetShardIterator AT_TIMESTAMP when no record of the shard arrived at or after the
// timestamp (its lookup waits for a first match that never comes); the service answers an iterator at the tip.
// Do as the service does: look first, and ask for LATEST when nothing matches. Installed in the module cache
// before kinesalite loads its actions, so its dispatcher calls this wrapper.
const db = require('kinesalite/db');
const getShardIteratorPath = require.resolve('kinesalite/actions/getShardIterator');
const getShardIterator = require(getShardIteratorPath);
require.cache[getShardIteratorPath].exports = function atTimestampAsTheServiceAnswers(store, data, cb) {
  if (data.ShardIteratorType !== 'AT_TIMESTAMP' || data.Timestamp == null || data.StartingSequenceNumber) {
    return getShardIterator(store, data, cb);
  }
  let shardIx;
  try {
    shardIx = db.resolveShardId(data.ShardId).shardIx;
  } catch (e) {
    return getShardIterator(store, data, cb);
  }
  let found = false;
  store.getStreamDb(data.StreamName)
    .createReadStream({ gt: db.shardIxToHex(shardIx), lt: db.shardIxToHex(shardIx + 1) })
    .on('data', function (item) {
      if (!found && item.value.ApproximateArrivalTimestamp >= data.Timestamp) {
        found = true;
        this.destroy();
        getShardIterator(store, data, cb);
      }
    })
    .on('error', (err) => { if (!found) { found = true; cb(err); } })
    .on('end', () => {
      if (!found) {
        found = true;
        getShardIterator(store, Object.assign({}, data, { ShardIteratorType: 'LATEST', Timestamp: undefined }), cb);
      }
    });
};

const kinesalite = require('kinesalite');

const options = {};
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const name = args[i].replace(/^--/, '');
  const value = args[i + 1];
  if (value === undefined) {
    console.error(`Missing value for --${name}`);
    process.exit(2);
  }
  options[name] = /^\d+$/.test(value) ? Number(value) : value;
}

const port = options.port === undefined ? 4567 : options.port;
delete options.port;

const server = kinesalite(options).listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`Listening at http://${address.address}:${address.port}`);
});

// Lets a parent that closes our stdin or sends SIGTERM stop us cleanly.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
