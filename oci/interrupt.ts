// Cleanup that must happen even when the user interrupts: a temporary auth
// file holding a password, a push tool still running with it. Node's default
// for SIGINT/SIGTERM/SIGHUP is to die at once, skipping every `finally`; while
// any cleanup is registered we catch those signals, run the cleanups, and then
// die of the same signal (so the exit status still says "interrupted").
// Cleanups run on a normal exit too.

type Cleanup = () => void;

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const cleanups = new Set<Cleanup>();

function runAll(): void {
  for (const c of [...cleanups]) {
    cleanups.delete(c);
    try {
      c();
    } catch {
      /* best effort: the others must still run */
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  unhook();
  // Someone else handles this signal (a test runner, the embedding program): leave it to them.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hook(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on("exit", runAll);
}

function unhook(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off("exit", runAll);
}

/** Runs `cleanup` on SIGINT/SIGTERM/SIGHUP or exit, until the returned function unregisters it. */
export function onInterrupt(cleanup: Cleanup): () => void {
  if (cleanups.size === 0) hook();
  cleanups.add(cleanup);
  return () => {
    if (cleanups.delete(cleanup) && cleanups.size === 0) unhook();
  };
}
