// One Envoy process: started with the flags a test Envoy needs, waited for
// until its admin says LIVE, and always stopped. Three layers make sure no
// Envoy outlives the Node process that started it:
// - stop(): POST /quitquitquit, then SIGKILL after a grace period (as Istio's
//   test/envoye2e driver does);
// - process hooks: on exit, SIGINT, SIGTERM and SIGHUP every Envoy still
//   running is killed;
// - a watchdog: Envoy runs under a small `sh` that holds a pipe from Node and
//   kills Envoy when that pipe closes, which it does however Node ends (even
//   SIGKILL, where no hook runs).
// The hooks and the watchdog also remove the deployment's work folder, so an
// abandoned Envoy leaves nothing behind in the temp folder either.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";

export interface EnvoyLaunch {
  /** For messages: which proxy this is. */
  name: string;
  bin: string;
  configPath: string;
  adminAddressPath: string;
  /** Envoy's application log (--log-path); the access log shares the file. */
  logPath: string;
  /** Envoy's own stdout/stderr (what it prints before the log file is open). */
  consolePath: string;
  concurrency: number;
  /** Envoy level names: trace, debug, info, warning, error, critical, off. */
  wasmLogLevel: string;
  /** Envoy's own level (`-l`) for every other component; default info. */
  logLevel?: string;
  readyTimeoutMs: number;
  /** A folder to remove when this Envoy is abandoned (its Node process ended without stop()). */
  abandonDir?: string;
}

// `$1` is the console file, the rest is Envoy's command line. Fd 3 keeps the
// pipe from Node; the watcher's `read` ends when Node's end closes.
const WATCHDOG = [
  'out=$1; shift',
  'exec 3<&0',
  '"$@" </dev/null >"$out" 2>&1 3<&- &',
  'pid=$!',
  'echo "$pid"',
  // On abandonment it also removes $MWF_ENVOY_ABANDON_DIR once Envoy is gone,
// ignoring the TERM the outer shell sends it when Envoy exits.
  '( while read -r _; do :; done <&3; trap "" TERM; kill -9 "$pid" 2>/dev/null',
  '  if [ -n "$MWF_ENVOY_ABANDON_DIR" ]; then while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; rm -rf "$MWF_ENVOY_ABANDON_DIR"; fi ) &',
  'watcher=$!',
  'exec 3<&-',
  'wait "$pid"; status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join("\n");

const running = new Set<EnvoyProcess>();
const abandonDirs = new Set<string>();

/** Removes `dir` if this process ends without its owner removing it; the returned function forgets it. */
export function removeIfAbandoned(dir: string): () => void {
  abandonDirs.add(dir);
  return () => { abandonDirs.delete(dir); };
}
let hooksInstalled = false;

/** Pids of the Envoys this process started that have not exited (tests check it is empty). */
export function runningEnvoyPids(): number[] {
  return [...running].map((e) => e.pid);
}

function killAll(): void {
  for (const e of running) e.killNow();
  for (const d of abandonDirs) rmSync(d, { recursive: true, force: true });
  abandonDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      killAll();
      // Alone on this signal: let it do what it would have done without us.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

export class EnvoyStartFailure extends Error {
  constructor(message: string, readonly logTail: string[]) {
    super(message);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether `p` settled within `ms` (the timer is cleared either way, so it holds no event loop). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(() => true),
    new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); }),
  ]).finally(() => clearTimeout(timer));
}

export class EnvoyProcess {
  private exitInfo: { code: number | null; signal: string | null } | undefined;
  readonly exited: Promise<void>;
  admin = "";

  private constructor(readonly launch: EnvoyLaunch, private readonly child: ChildProcess, readonly pid: number) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        running.delete(this);
        resolve();
      });
    });
  }

  static async start(l: EnvoyLaunch): Promise<EnvoyProcess> {
    installHooks();
    const args = [
      "-c", l.configPath,
      "--disable-hot-restart",
      "--concurrency", String(l.concurrency),
      "--admin-address-path", l.adminAddressPath,
      "--log-path", l.logPath,
      // Every write wakes the flush thread, so the access log and the plugins'
      // lines reach the file at once instead of every 10 s.
      "--file-flush-min-size-kb", "0",
      "--file-flush-interval-msec", "100",
      "--drain-time-s", "1",
      "-l", l.logLevel ?? "info",
      "--component-log-level", `wasm:${l.wasmLogLevel}`,
    ];
    const child = spawn("sh", ["-c", WATCHDOG, "envoy-watchdog", l.consolePath, l.bin, ...args], {
      stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, MWF_ENVOY_ABANDON_DIR: l.abandonDir ?? "" },
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.once("error", reject);
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf("\n");
        if (nl >= 0) resolve(Number(out.slice(0, nl)));
      });
      child.once("exit", () => reject(new Error(`${l.name}: the Envoy watchdog exited before starting Envoy`)));
    });
    const envoy = new EnvoyProcess(l, child, pid);
    running.add(envoy);
    // A forgotten deployment must not keep Node alive; the exit hook and the watchdog still stop it.
    child.unref();
    (child.stdin as unknown as { unref(): void }).unref();
    (child.stdout as unknown as { unref(): void }).unref();
    try {
      await envoy.waitReady();
    } catch (e) {
      await envoy.stop();
      throw e;
    }
    return envoy;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** The last `n` lines of Envoy's log file and console output. */
  logTail(n = 40): string[] {
    const lines: string[] = [];
    for (const f of [this.launch.consolePath, this.launch.logPath]) {
      if (existsSync(f)) lines.push(...readFileSync(f, "utf8").split("\n").filter(Boolean));
    }
    return lines.slice(-n);
  }

  private failure(what: string): EnvoyStartFailure {
    const tail = this.logTail(400);
    // Envoy's startup is chatty (every extension at info); what explains a failure is at warning and above.
    const telling = tail.filter((l) => /\]\[(warning|error|critical)\]\[/.test(l) || !l.startsWith("["));
    const shown = [...telling, ...tail.slice(-3).filter((l) => !telling.includes(l))];
    return new EnvoyStartFailure(
      `${this.launch.name}: ${what}\n--- Envoy's warnings and errors, and its last lines (${this.launch.logPath}):\n${shown.join("\n")}`, tail);
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + this.launch.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        const { code, signal } = this.exitInfo;
        throw this.failure(`Envoy exited during startup (${signal ? `signal ${signal}` : `exit code ${code}`})`);
      }
      if (!this.admin && existsSync(this.launch.adminAddressPath)) {
        this.admin = readFileSync(this.launch.adminAddressPath, "utf8").trim();
      }
      if (this.admin) {
        try {
          const r = await this.adminRequest("GET", "/ready");
          if (r.status === 200 && r.body.trim() === "LIVE") return;
        } catch { /* admin not answering yet */ }
      }
      await sleep(25);
    }
    throw this.failure(`Envoy not LIVE after ${this.launch.readyTimeoutMs} ms`);
  }

  adminRequest(method: "GET" | "POST", path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
    const [host, port] = [this.admin.slice(0, this.admin.lastIndexOf(":")), Number(this.admin.slice(this.admin.lastIndexOf(":") + 1))];
    return new Promise((resolve, reject) => {
      const req = http.request({ host, port, method, path, agent: false, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${this.launch.name}: admin ${method} ${path} timed out`)));
      req.on("error", reject);
      req.end();
    });
  }

  async admin200(path: string): Promise<string> {
    const r = await this.adminRequest("GET", path);
    if (r.status !== 200) throw new Error(`${this.launch.name}: admin GET ${path} answered ${r.status}: ${r.body.slice(0, 200)}`);
    return r.body;
  }

  /** SIGKILL now (hooks, and stop's last resort). */
  killNow(): void {
    if (this.exitInfo) return;
    try { process.kill(this.pid, "SIGKILL"); } catch { /* already gone */ }
    this.child.stdin?.destroy();
  }

  /** POST /quitquitquit, then SIGKILL after `graceMs`. Resolves once Envoy has exited. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.exitInfo && this.admin) {
      await this.adminRequest("POST", "/quitquitquit", graceMs).catch(() => undefined);
    }
    if (!(await within(this.exited, this.admin ? graceMs : 0))) this.killNow();
    await within(this.exited, 5000);
    this.child.stdin?.destroy();
    if (!this.exitInfo) throw new Error(`${this.launch.name}: Envoy (pid ${this.pid}) did not exit after SIGKILL`);
  }
}
