/**
 * First Ctrl-C: stop starting steps, let running ones finish and save (`onStop` says so).
 * Second: the default behaviour (exit at once); a re-run still converges because every step
 * checks first.
 */
export function interruptible(onStop: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.removeListener('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    onStop();
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}
