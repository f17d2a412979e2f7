// The Go-SDK peer (go-sdk-api-key/): built at bench time with the standard Go
// toolchain the way proxy-wasm-go-sdk documents (GOOS=wasip1 GOARCH=wasm
// -buildmode=c-shared), the SDK fetched through the Go module proxy at the
// pseudo-version go.mod pins (go.sum checks it). The module is cached in
// build/bench/ under a key of the sources and the Go version, so only a change
// rebuilds it.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { requireTool } from "../../../tools/locate.ts";
import { PROJECT_ROOT } from "../../lib/project.ts";

const run = promisify(execFile);

export const GO_SDK_SOURCE = path.join(PROJECT_ROOT, "scripts/bench/envoy/go-sdk-api-key");
const OUT_DIR = path.join(PROJECT_ROOT, "build/bench");
const SOURCES = ["main.go", "go.mod", "go.sum"];

export interface GoModule { file: string; bytes: Uint8Array; goVersion: string; cached: boolean }

export async function buildGoSdkPeer(log: (line: string) => void = () => {}): Promise<GoModule> {
  const go = requireTool("go").path;
  // No toolchain download: the Go found is the Go used (go.mod asks for 1.24 or newer).
  const env = { ...process.env, GOOS: "wasip1", GOARCH: "wasm", CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" };
  const goVersion = (await run(go, ["env", "GOVERSION"], { env })).stdout.trim();
  const hash = createHash("sha256").update(goVersion);
  for (const f of SOURCES) hash.update(`\0${f}\0`).update(readFileSync(path.join(GO_SDK_SOURCE, f)));
  const key = hash.digest("hex");
  const file = path.join(OUT_DIR, "go-sdk-api-key.wasm");
  const keyFile = `${file}.key`;
  if (existsSync(file) && existsSync(keyFile) && readFileSync(keyFile, "utf8").trim() === key) {
    return { file, bytes: new Uint8Array(readFileSync(file)), goVersion, cached: true };
  }
  mkdirSync(OUT_DIR, { recursive: true });
  log(`building the Go-SDK peer with ${goVersion} (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared)`);
  const tmp = `${file}.tmp`;
  try {
    await run(go, ["build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-o", tmp, "."], { cwd: GO_SDK_SOURCE, env, maxBuffer: 8 << 20 });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`building the Go-SDK peer (${GO_SDK_SOURCE}) failed; it needs the Go module proxy for github.com/proxy-wasm/proxy-wasm-go-sdk:\n${err.stderr || err.message}`);
  }
  renameSync(tmp, file);
  writeFileSync(keyFile, `${key}\n`);
  return { file, bytes: new Uint8Array(readFileSync(file)), goVersion, cached: false };
}
