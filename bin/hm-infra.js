#!/usr/bin/env node
import { main } from '../dist/cli.js';

// A reader that stops early (`hm-infra plan | head`) closes the pipe: the rest of the output
// has nowhere to go, and the command still finishes (and saves) as it would have.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

process.exitCode = await main();
