#!/usr/bin/env node
import { refusal, supported } from './node-version.js';

if (!supported(process.versions.node)) {
  process.stderr.write(refusal(process.versions.node));
  process.exit(2);
}

// Node.js keeps the compiled code of the modules it loads on disk (under the system's temp
// folder), so that later starts skip compiling them again (`npm run bench` measures it).
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();

const { main } = await import('../dist/cli.js');

// A reader that stops early (`hm-infra plan | head`) closes the pipe: the rest of the output
// has nowhere to go, and the command still finishes (and saves) as it would have.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

process.exitCode = await main();
