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
