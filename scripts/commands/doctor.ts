// `mesh-filters doctor [--json]`: the external tools this checkout uses and
// whether they are fit (tools/doctor.ts). Exit 0 when every required tool is
// found and Envoy loads a Proxy-Wasm filter, 1 otherwise.
import { doctor, doctorProblems, formatDoctor } from "../../tools/doctor.ts";
import { parseCommandArgs } from "../lib/usage.ts";

const HELP = `Usage: mesh-filters doctor [--json]

For each tool: found or not, its path, how it was found (env variable, PATH,
or .tools from \`npm run setup\`), its version and, for Envoy and ORAS, the
pinned one. For Envoy also "wasm": true only when a real Proxy-Wasm module
loads into it in V8 (\`envoy --mode validate\` on a one-listener bootstrap
with a probe module whose proxy_on_configure must log its marker).

--json prints {"envoy": {...}, "oras": {...}, "skopeo": {...}, "docker-registry": {...}, ...}:
one object per tool with found, path, source, version, required, and where
they apply pinned, hint, error, wasm, wasmDetail. A missing tool has
found: false, path: null and a hint saying how to get it.

Exit 0 when every required tool (envoy, oras, skopeo, docker-registry, node)
is found and Envoy loads a Wasm filter; 1 otherwise.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(HELP, {
    args: argv,
    options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const report = await doctor();
  console.log(values.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
  return doctorProblems(report).length ? 1 : 0;
}
