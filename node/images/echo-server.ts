// The built-in image `netkube/echo`: HTTP, TCP and UDP echo servers whose
// answers name the pod and its address, so a test or a demo can see which
// backend answered. Ports: --http-port/--tcp-port/--udp-port or the
// HTTP_PORT/TCP_PORT/UDP_PORT environment variables (defaults 8080, 9000,
// 9001; 0 turns a server off). Identity: POD_NAME, POD_NAMESPACE, POD_IP and
// NODE_NAME from the environment (the downward API), else the hostname and
// the first non-loopback IPv4 address.
//   HTTP  any path: a text report (pod, ip, node, client, request line, headers); /healthz: "ok"
//   TCP   every line received comes back as "<pod> <ip>: <line>"
//   UDP   every datagram comes back as "<pod> <ip>: <payload>"
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';

function flag(name: string, envName: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[envName];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`echo: --${name}/${envName} "${raw}" is not a port\n`);
    process.exit(2);
  }
  return n;
}

function firstAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

const pod = process.env['POD_NAME'] || os.hostname();
const ip = process.env['POD_IP'] || firstAddress();
const node = process.env['NODE_NAME'] ?? '';
const ns = process.env['POD_NAMESPACE'] ?? '';
const who = `${pod} ${ip}`;
const httpPort = flag('http-port', 'HTTP_PORT', 8080);
const tcpPort = flag('tcp-port', 'TCP_PORT', 9000);
const udpPort = flag('udp-port', 'UDP_PORT', 9001);
const closers: Array<() => void> = [];

if (httpPort) {
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    const lines = [
      `pod: ${pod}`,
      ...(ns ? [`namespace: ${ns}`] : []),
      `pod_ip: ${ip}`,
      ...(node ? [`node: ${node}`] : []),
      `hostname: ${os.hostname()}`,
      `client: ${req.socket.remoteAddress}:${req.socket.remotePort}`,
      `request: ${req.method} ${req.url} HTTP/${req.httpVersion}`,
      ...Object.entries(req.headers).map(([k, v]) => `header: ${k}: ${Array.isArray(v) ? v.join(', ') : v}`),
    ];
    res.writeHead(200, { 'content-type': 'text/plain', 'x-pod-name': pod, 'x-pod-ip': ip }).end(lines.join('\n') + '\n');
    process.stdout.write(`http ${req.socket.remoteAddress} ${req.method} ${req.url}\n`);
  });
  server.listen(httpPort, () => process.stdout.write(`echo: http on :${httpPort} as ${who}\n`));
  closers.push(() => server.close());
}

if (tcpPort) {
  const server = net.createServer((sock) => {
    let pending = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        sock.write(`${who}: ${pending.slice(0, nl)}\n`);
        pending = pending.slice(nl + 1);
      }
    });
    sock.on('end', () => {
      if (pending) sock.write(`${who}: ${pending}\n`);
      sock.end();
    });
    sock.on('error', () => undefined);
  });
  server.listen(tcpPort, () => process.stdout.write(`echo: tcp on :${tcpPort}\n`));
  closers.push(() => server.close());
}

if (udpPort) {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, from) => sock.send(`${who}: ${msg.toString('utf8')}`, from.port, from.address));
  sock.bind(udpPort, () => process.stdout.write(`echo: udp on :${udpPort}\n`));
  closers.push(() => sock.close());
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    process.stdout.write(`echo: ${sig}, shutting down\n`);
    for (const c of closers) c();
    process.exit(0);
  });
}
