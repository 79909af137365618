// Starts kinesalite bound to 127.0.0.1 (its own CLI listens on every interface) and prints the
// address it got, so a test fixture can pass --port 0 and read the port back.
// Usage: node start-kinesalite.js [--port 4567] [--createStreamMs 500] [--deleteStreamMs 500]
//        [--updateStreamMs 500] [--shardLimit 10]
'use strict';

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
