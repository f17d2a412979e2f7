// Worker thread running the AssemblyScript compiler: asc is single-threaded
// and CPU-bound, so a build compiles several modules at once in workers.
import { createRequire } from "node:module";
import { parentPort } from "node:worker_threads";
import path from "node:path";

const require = createRequire(import.meta.url);
const asc = require("assemblyscript/cli/asc");

// The working directory is process-wide: the caller compiles from the project root.
parentPort.on("message", async ({ id, argv, out }) => {
  await asc.ready;
  let binary;
  let diagnostics = "";
  const sink = { write: (s) => { diagnostics += s; } };
  let failure = null;
  asc.main(argv, {
    stdout: sink,
    stderr: sink,
    writeFile(name, contents) {
      if (path.basename(name) === out && typeof contents !== "string") binary = new Uint8Array(contents);
    },
  }, (err) => { failure = err; return err ? 1 : 0; });
  if (failure || !binary) parentPort.postMessage({ id, error: failure ? `${diagnostics}\n${failure.message}` : diagnostics });
  else parentPort.postMessage({ id, binary }, [binary.buffer]);
});
