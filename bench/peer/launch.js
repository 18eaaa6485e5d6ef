// Starts the CDS Hooks reference service (cds-hooks/sandbox-cds-services) from its own directory for
// bench/patient_view.py --peer-dir, with one change made at run time: express's JSON body limit raised from
// body-parser's default (100 kB, which answers 413 to the benchmark's body) to PEER_JSON_LIMIT (default 10mb).
// Usage: PORT=<port> node bench/peer/launch.js <peer-dir>
'use strict';

const path = require('path');

const peerDir = path.resolve(process.argv[2] || '.');
const limit = process.env.PEER_JSON_LIMIT || '10mb';
const bodyParser = require(require.resolve('body-parser', { paths: [peerDir] }));
const json = bodyParser.json;
// body-parser defines its parsers as configurable getters; the service's index.js reads this one at start.
Object.defineProperty(bodyParser, 'json', {
  configurable: true,
  enumerable: true,
  value: (options) => json({ ...options, limit }),
});
const app = require(path.join(peerDir, 'index.js'));

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  process.stdout.write(`peer listening on 127.0.0.1:${server.address().port}, JSON limit ${limit}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
