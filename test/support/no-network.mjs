// Refuses every outgoing connection that is not to this machine, in the test process and
// (through NODE_OPTIONS=--import) in every CLI it spawns. A test that reaches AWS fails loudly.
import net from 'node:net';

const LOCAL = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0']);
const original = net.Socket.prototype.connect;

function target(args) {
  const [first, second] = Array.isArray(args[0]) ? args[0] : args;
  if (first !== null && typeof first === 'object') return first.path ? null : (first.host ?? 'localhost');
  if (typeof first === 'string' && !/^\d+$/.test(first)) return null; // a unix socket path
  return typeof second === 'string' ? second : 'localhost';
}

net.Socket.prototype.connect = function connect(...args) {
  const host = target(args);
  if (host !== null && !LOCAL.has(host) && !host.startsWith('127.')) {
    throw new Error(`network access is disabled in tests (tried to reach ${host})`);
  }
  return original.apply(this, args);
};

// DNS questions go out over UDP: only to a test's own DNS server on loopback, never to port 53
// (the machine's resolver, a local stub included, forwards to the internet).
import dgram from 'node:dgram';

const originalSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function send(...args) {
  const numbers = args.filter((a) => typeof a === 'number');
  const port = args.length >= 5 ? args[3] : numbers.at(-1);
  const address = args.find((a, i) => i > 0 && typeof a === 'string');
  const local = address === undefined || LOCAL.has(address) || address.startsWith('127.');
  if (!local || port === 53) {
    throw new Error(`network access is disabled in tests (tried to send UDP to ${address ?? '?'}:${port})`);
  }
  return originalSend.apply(this, args);
};
