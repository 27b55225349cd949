import { Writable } from 'node:stream';

/** Removes colour and cursor escape codes, leaving the text a terminal would show. */
// eslint-disable-next-line no-control-regex -- escape codes are what it removes
export const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/**
 * A stream that says it is a terminal (as stderr in a shell is), recording every write: a
 * live display redraws with one write per frame.
 */
export function fakeTerminal(): NodeJS.WriteStream & { writes: string[]; text(): string } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      writes.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, {
    isTTY: true,
    columns: 120,
    rows: 60,
    writes,
    text: () => plain(writes.join('')),
  }) as unknown as NodeJS.WriteStream & { writes: string[]; text(): string };
}
