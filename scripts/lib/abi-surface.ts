// The ABI-surface check: would Envoy load this module and drive it as an HTTP
// filter? Every import must be something Envoy provides, with the signature it
// provides; the exports Envoy needs must be there with the signatures it calls.
import { readModuleSurface, formatType, type FuncType } from "./wasm-sections.ts";
import { ABI_0_1_0_ONLY, ABI_VERSION_EXPORTS, CALLBACKS, ENV_EXTRAS, HOST_FUNCTIONS, WASI_FUNCTIONS, WASI_MODULES } from "./proxy-wasm-abi.ts";

const sameType = (a: FuncType | undefined, b: FuncType): boolean =>
  !!a && a.params.join() === b.params.join() && a.results.join() === b.results.join();

export interface AbiReport {
  abiVersion?: string;
  problems: string[];
}

export function inspectAbiSurface(bytes: Uint8Array, moduleName: string): AbiReport {
  let surface;
  try {
    surface = readModuleSurface(bytes);
  } catch (err) {
    return { problems: [`${moduleName}: ${(err as Error).message}`] };
  }
  const problems: string[] = [];
  for (const imp of surface.imports) {
    const where = `${moduleName}: import ${imp.module}.${imp.name}`;
    if (imp.kind !== "func") {
      problems.push(`${where} is a ${imp.kind}; Envoy provides only functions`);
      continue;
    }
    let expected: FuncType | null | undefined;
    if (imp.module === "env") expected = HOST_FUNCTIONS[imp.name] ?? ENV_EXTRAS[imp.name];
    else if (WASI_MODULES.includes(imp.module)) expected = WASI_FUNCTIONS[imp.name];
    if (imp.module === "env" && ABI_0_1_0_ONLY[imp.name]) {
      problems.push(`${where} is provided by Envoy only to ABI 0.1.0 modules (the module would fail to load with a missing import); ${ABI_0_1_0_ONLY[imp.name]}`);
    } else if (expected === undefined) {
      problems.push(`${where} is not a Proxy-Wasm host function or a WASI function Envoy provides`);
    } else if (expected !== null && !sameType(imp.type, expected)) {
      problems.push(`${where} has signature ${formatType(imp.type)}; Envoy provides ${formatType(expected)}`);
    }
  }

  const exports = new Map(surface.exports.map((e) => [e.name, e]));
  const versions = Object.keys(ABI_VERSION_EXPORTS).filter((n) => exports.get(n)?.kind === "func");
  if (versions.length === 0) {
    problems.push(`${moduleName}: missing export proxy_abi_version_0_2_0 or proxy_abi_version_0_2_1 (Envoy: "Missing or unknown Proxy-Wasm ABI version")`);
  }
  if (exports.get("memory")?.kind !== "memory") problems.push(`${moduleName}: missing export memory`);
  if (!exports.has("malloc") && !exports.has("proxy_on_memory_allocate")) {
    problems.push(`${moduleName}: missing export malloc or proxy_on_memory_allocate (Envoy: "Wasm module is missing malloc function")`);
  }
  if (!exports.has("proxy_on_context_create")) {
    problems.push(`${moduleName}: missing export proxy_on_context_create (no context could ever be created)`);
  }
  for (const [name, expected] of Object.entries(CALLBACKS)) {
    const e = exports.get(name);
    if (e && (e.kind !== "func" || !sameType(e.type, expected))) {
      problems.push(`${moduleName}: export ${name} has signature ${formatType(e.type)}; the host calls it as ${formatType(expected)}`);
    }
  }
  const abiVersion = versions.map((v) => ABI_VERSION_EXPORTS[v]).sort().at(-1);
  return { abiVersion, problems };
}

/** The problems of a module's ABI surface; empty when Envoy would load it. */
export function checkAbiSurface(bytes: Uint8Array, moduleName: string): string[] {
  return inspectAbiSurface(bytes, moduleName).problems;
}
