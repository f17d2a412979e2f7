// ORAS into .tools/, built from source by the Go toolchain: the module's
// go.sum hash (`go mod download -json` Sum, itself checked against
// sum.golang.org) must equal the pin before anything is built, and the pinned
// module's own go.sum pins every dependency. Layout:
//   .tools/oras/<version>/oras
//   .tools/bin/oras -> ../oras/<version>/oras
import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { exec, lastLines } from "./exec.ts";
import { InstallError, linkBinary, type Installed } from "./install-files.ts";
import { locateTool } from "./locate.ts";
import { ORAS_PIN, type OrasPin } from "./pins.ts";
import { bareVersion, compareVersions, toolVersion } from "./versions.ts";

export interface OrasInstallOptions {
  toolsDir: string;
  env?: NodeJS.ProcessEnv;
  pin?: OrasPin;
  log?: (line: string) => void;
}

export async function installOras(opts: OrasInstallOptions): Promise<Installed> {
  const pin = opts.pin ?? ORAS_PIN;
  const log = opts.log ?? (() => {});
  const go = locateTool("go", opts.env ?? process.env)?.path;
  if (!go) throw new InstallError(`go not found (Go ${pin.minGo} or newer builds ORAS ${pin.version}); or point ORAS_BIN at an oras binary`);
  // No toolchain download behind the user's back, no C compiler needed (ORAS is pure Go, its releases are built this way).
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), CGO_ENABLED: "0", GOTOOLCHAIN: (opts.env ?? process.env).GOTOOLCHAIN || "local" };

  const goVersion = await toolVersion("go", go, env);
  if (!goVersion.version) throw new InstallError(`could not tell the Go version: ${goVersion.error}`);
  if (compareVersions(goVersion.version, pin.minGo) < 0) throw new InstallError(`go ${goVersion.version} is older than ${pin.minGo}, which ORAS ${pin.version} needs`);

  // Outside any module, so a go.mod around the user's checkout cannot interfere.
  const scratch = mkdtempSync(path.join(os.tmpdir(), "mesh-filters-oras-"));
  const dir = path.join(opts.toolsDir, "oras", pin.version);
  const gobin = path.join(dir, `.partial-${process.pid}`);
  try {
    log(`oras: checking ${pin.module}@${pin.version} against its pinned hash (Go module proxy)`);
    const dl = await exec([go, "mod", "download", "-json", `${pin.module}@${pin.version}`], { env, cwd: scratch, timeoutMs: 10 * 60_000 });
    let info: { Sum?: string; Error?: string } = {};
    try {
      info = JSON.parse(dl.stdout) as typeof info;
    } catch {
      /* reported below */
    }
    if (dl.code !== 0 || !info.Sum) throw new InstallError(`no ${pin.module}@${pin.version} from the Go module proxy: ${info.Error ?? lastLines(dl)}`);
    if (info.Sum !== pin.moduleSum) throw new InstallError(`hash mismatch: ${pin.module}@${pin.version} has ${info.Sum}, the pin is ${pin.moduleSum}; refusing to build it`);

    log(`oras: building ${pin.package}@${pin.version} (go install)`);
    mkdirSync(gobin, { recursive: true });
    const build = await exec([go, "install", "-trimpath", `${pin.package}@${pin.version}`], { env: { ...env, GOBIN: gobin }, cwd: scratch, timeoutMs: 20 * 60_000 });
    if (build.code !== 0) throw new InstallError(`go install ${pin.package}@${pin.version} failed: ${lastLines(build)}`);

    const built = path.join(gobin, "oras");
    const { version, error } = await toolVersion("oras", built, env);
    if (version !== bareVersion(pin.version)) throw new InstallError(`the built oras does not report ${bareVersion(pin.version)}: ${error ?? `it reports ${version}`}`);
    const binary = path.join(dir, "oras");
    renameSync(built, binary);
    return { path: linkBinary(opts.toolsDir, "oras", binary), version };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(gobin, { recursive: true, force: true });
  }
}
