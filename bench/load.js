// The bench's load generator: autocannon in a plain-node child (no ts-node, which loads
// `domain` and would make the generator itself slower than the servers it measures). Takes the
// autocannon options as JSON in argv[2], reports { rps, p50, p99, errors } over IPC.
'use strict';
const autocannon = require('autocannon');

autocannon(JSON.parse(process.argv[2]))
  .then((result) => {
    process.send({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx });
    process.disconnect();
  })
  .catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
