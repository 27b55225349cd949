// Preloaded (--import) by the benchmark into one CLI run: counts the connections the process
// opens and, at exit, writes them with every module it loaded (ESM through the resolve hook of
// test/support/load-log-hooks.mjs into $HM_LOAD_LOG, CommonJS from the require cache) to
// $HM_PROBE_FILE.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import net from 'node:net';

register('../test/support/load-log-hooks.mjs', import.meta.url);
const connections = [];
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function probedConnect(...args) {
  connections.push(JSON.stringify(args[0]).slice(0, 200));
  return connect.apply(this, args);
};
process.on('exit', () => {
  const esm = existsSync(process.env.HM_LOAD_LOG)
    ? readFileSync(process.env.HM_LOAD_LOG, 'utf8').split('\n').filter(Boolean)
    : [];
  const cjs = Object.keys(createRequire(import.meta.url).cache);
  writeFileSync(process.env.HM_PROBE_FILE, JSON.stringify({ modules: [...new Set([...esm, ...cjs])], connections }));
});
