// The bench's reference point: a bare node:http pass-through proxy to the upstream on
// port process.argv[2], no auth, no metering. Plain JavaScript, run with plain `node` (no ts-node,
// which loads `domain` and slows every process it runs in). Reports its port over IPC.
'use strict';
const { createServer, request, Agent } = require('node:http');

const upstreamPort = Number(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const server = createServer((req, res) => {
  const up = request({ host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.headers);
    upRes.pipe(res);
  });
  up.on('error', () => {
    res.statusCode = 502;
    res.end();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('SIGINT', () => process.exit(0));
