// pushFilters: package (so the layout always matches build/filters.json), then
// copy each layout tag to `<registry>/<name>:<tag>[-compat]` with ORAS
// (`oras cp --from-oci-layout`) or, without ORAS, skopeo, each found as
// everywhere else (tools/locate.ts: env variable, PATH, .tools/bin). Both copy
// the layout's manifest bytes unchanged, so the pushed digest is the packaged one.
// Each push is confirmed by reading the tag back over the registry API before
// it counts; dist/pushed.json is written only when every push succeeded, and
// keeps the entries of earlier pushes to the same registry and tag (pushing one
// filter does not drop the others). A tag that already named another digest
// is moved, as `oras push` and `docker push` move it, with a warning: tags are
// mutable, digests are what deployments pin.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { layoutTag, registryTag, VARIANTS, type Variant } from "./media-types.ts";
import { packageFilters, type PackageOptions } from "./package.ts";
import { parseRegistryPrefix } from "./reference.ts";
import { writeTempAuthFile, type Credentials, type TempAuthFile } from "./auth.ts";
import { RegistryClient } from "./registry-client.ts";
import { runTool, shellQuote } from "./tools.ts";
import { readPushedJson } from "./pushed-json.ts";
import { locateTool, TOOL_ENV } from "../tools/locate.ts";

export type PushTool = "oras" | "skopeo";

export interface PushOptions extends Omit<PackageOptions, "outDir" | "variants"> {
  /** `host[:port]/namespace`. */
  registry: string;
  /** Default: package.json version. The compat variant gets `<tag>-compat`. */
  tag?: string;
  variants?: Variant[];
  /** Default `<projectRoot>/dist/oci`. */
  layoutDir?: string;
  plainHttp?: boolean;
  /** From --username / --password-stdin; handed to the tool in a temporary 0600 auth file. */
  credentials?: Credentials;
  /** A docker config.json-format file to use instead of the default credential files. */
  authFile?: string;
  dryRun?: boolean;
  /** Default: oras when found (ORAS_BIN, PATH, .tools/bin), else skopeo (SKOPEO_BIN, PATH). */
  tool?: PushTool;
  /** Default `<projectRoot>/dist/pushed.json`. */
  pushedJson?: string;
  log?: (line: string) => void;
}

export interface PushedArtifact {
  name: string;
  variant: Variant;
  reference: string;
  digest: string;
  rootIds: string[];
  moduleSha256: string;
}

export interface PushedJson {
  registry: string;
  tag: string;
  artifacts: PushedArtifact[];
}

export interface MovedTag {
  reference: string;
  /** The digest the tag named before this push. */
  previous: string;
  digest: string;
}

export interface PushResult extends PushedJson {
  tool: PushTool;
  /** Tags that named another digest before this push (each also logged as a warning). */
  moved?: MovedTag[];
  /** The binary that ran (undefined for a dry run without the tool). */
  toolPath?: string;
  /** The commands run (or, with dryRun, that would run). */
  commands: string[][];
  pushedJson?: string;
}

/** Shown instead of the real temporary file in --dry-run output. */
export const AUTH_FILE_PLACEHOLDER = "<temporary-0600-auth-file>";

export function pushCommand(tool: PushTool, layoutDir: string, tag: string, dest: string, o: { plainHttp?: boolean; authFile?: string }): string[] {
  if (tool === "oras") {
    // ORAS 1.x: cp takes --to-* flags for the destination; there is no
    // --to-password-stdin, so credentials go in via --to-registry-config.
    const argv = ["oras", "cp", "--from-oci-layout", `${layoutDir}:${tag}`, dest];
    if (o.plainHttp) argv.push("--to-plain-http");
    if (o.authFile) argv.push("--to-registry-config", o.authFile);
    return argv;
  }
  // --preserve-digests makes skopeo fail rather than silently rewrite the manifest.
  const argv = ["skopeo", "copy", "--preserve-digests"];
  if (o.plainHttp) argv.push("--dest-tls-verify=false");
  if (o.authFile) argv.push("--dest-authfile", o.authFile);
  argv.push(`oci:${layoutDir}:${tag}`, `docker://${dest}`);
  return argv;
}

export const NO_TOOL_MESSAGE =
  "neither `oras` nor `skopeo` was found (ORAS_BIN / SKOPEO_BIN, PATH, .tools/bin). `npm run setup` installs the pinned ORAS; " +
  "or install one of them: ORAS 1.x (https://oras.land/docs/installation, e.g. `brew install oras` or the release tarball) or " +
  "skopeo (`apt-get install skopeo`, `dnf install skopeo`, `brew install skopeo`). `mesh-filters push --dry-run` prints the " +
  "commands without running them.";

/** The tool to push with and its binary: the preferred one, else oras, else skopeo. */
export function chooseTool(preferred: PushTool | undefined, env: NodeJS.ProcessEnv): { tool: PushTool; bin: string } | undefined {
  for (const tool of preferred ? [preferred] : (["oras", "skopeo"] as const)) {
    const found = locateTool(tool, env);
    if (found) return { tool, bin: found.path };
  }
  return undefined;
}

export class PushError extends Error {
  constructor(message: string, readonly pushed: PushedArtifact[]) {
    super(message);
  }
}

export async function pushFilters(opts: PushOptions): Promise<PushResult> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((l: string) => console.log(l));
  const root = path.resolve(opts.projectRoot);
  const { host, namespace } = parseRegistryPrefix(opts.registry);
  const registry = namespace ? `${host}/${namespace}` : host;
  const variants = opts.variants?.length ? opts.variants : [...VARIANTS];

  // The layout always holds every filter and variant (pushing a subset must not shrink dist/oci).
  const pkg = packageFilters({ ...opts, projectRoot: root, outDir: opts.layoutDir ?? "dist/oci", only: undefined });
  const unknown = (opts.only ?? []).filter((n) => !pkg.artifacts.some((a) => a.name === n));
  if (unknown.length) throw new Error(`unknown filter(s) ${unknown.join(", ")}`);
  const tag = opts.tag ?? pkg.provenance.version;
  if (!/^[\w][\w.-]{0,120}$/.test(tag)) throw new Error(`invalid tag '${tag}'`);
  const rel = path.relative(root, pkg.layoutDir);
  const layoutArg = rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : pkg.layoutDir;

  const chosen = chooseTool(opts.tool, env);
  if (!chosen && !opts.dryRun) {
    throw new Error(opts.tool ? `\`${opts.tool}\` was not found (${TOOL_ENV[opts.tool]}, PATH, .tools/bin). ${NO_TOOL_MESSAGE}` : NO_TOOL_MESSAGE);
  }
  const tool = chosen?.tool ?? opts.tool ?? "oras";

  const selected = pkg.artifacts.filter((a) => variants.includes(a.variant) && (!opts.only?.length || opts.only.includes(a.name)));
  const plan = selected.map((a) => {
    const repository = namespace ? `${namespace}/${a.name}` : a.name;
    const rtag = registryTag(tag, a.variant);
    return { a, repository, rtag, reference: `${host}/${repository}:${rtag}` };
  });

  let temp: TempAuthFile | undefined;
  const commands: string[][] = [];
  const pushed: PushedArtifact[] = [];
  const moved: MovedTag[] = [];
  try {
    if (opts.dryRun) {
      const authFile = opts.credentials ? AUTH_FILE_PLACEHOLDER : opts.authFile;
      for (const p of plan) {
        const argv = pushCommand(tool, layoutArg, layoutTag(p.a.name, p.a.variant), p.reference, { plainHttp: opts.plainHttp, authFile });
        commands.push(argv);
        log(`${shellQuote(argv)}    # expect ${p.a.manifestDigest}`);
      }
      return { registry, tag, tool, toolPath: chosen?.bin, commands, artifacts: [] };
    }

    if (opts.credentials) temp = writeTempAuthFile(host, opts.credentials);
    const authFile = temp?.path ?? opts.authFile;
    const client = new RegistryClient(host, { plainHttp: opts.plainHttp, credentials: opts.credentials, authFile: opts.authFile, env });
    try {
      await client.ping();
    } catch (err) {
      throw new PushError(`${(err as Error).message}. Nothing was pushed.`, []);
    }
    const done = () => (pushed.length ? ` Pushed before the failure: ${pushed.map((p) => p.reference).join(", ")}.` : " Nothing was pushed.");

    for (const p of plan) {
      // What the tag names now, to say so when the push moves it (a read failure only skips the warning).
      const previous = await client.resolve(p.repository, p.rtag).catch(() => undefined);
      if (previous && previous !== p.a.manifestDigest) {
        moved.push({ reference: p.reference, previous, digest: p.a.manifestDigest });
        log(`warning: ${p.reference} named ${previous}; this push moves it to ${p.a.manifestDigest} (manifests pinned to the old digest keep the old module)`);
      }
      const argv = pushCommand(tool, layoutArg, layoutTag(p.a.name, p.a.variant), p.reference, { plainHttp: opts.plainHttp, authFile });
      commands.push(argv);
      // argv[0] stays the tool's name in `commands`; the binary that runs is the one located.
      const res = await runTool([chosen!.bin, ...argv.slice(1)], { env, cwd: root });
      if (res.code !== 0) {
        const detail = (res.stderr || res.stdout).trim().split("\n").slice(-5).join("\n  ");
        throw new PushError(`pushing ${p.reference} with ${tool} failed (exit ${res.code}):\n  ${detail}\n${done()}`, pushed);
      }
      // Trust the registry, not the tool's exit code: the tag must now resolve to our digest.
      let remote: string | undefined;
      try {
        remote = await client.resolve(p.repository, p.rtag);
      } catch (err) {
        throw new PushError(`${p.reference}: ${tool} reported success but reading the tag back failed: ${(err as Error).message}.${done()}`, pushed);
      }
      if (remote !== p.a.manifestDigest) {
        throw new PushError(`${p.reference}: after the push the tag resolves to ${remote ?? "nothing"}, expected ${p.a.manifestDigest}.${done()}`, pushed);
      }
      const entry: PushedArtifact = { name: p.a.name, variant: p.a.variant, reference: p.reference, digest: p.a.manifestDigest, rootIds: p.a.rootIds, moduleSha256: p.a.moduleSha256 };
      pushed.push(entry);
      log(`pushed ${p.reference}  ${p.a.manifestDigest}`);
    }
  } finally {
    temp?.dispose();
  }

  const pushedJson = path.resolve(root, opts.pushedJson ?? "dist/pushed.json");
  const out: PushedJson = { registry, tag, artifacts: mergePushed(pushedJson, registry, tag, pushed, log) };
  mkdirSync(path.dirname(pushedJson), { recursive: true });
  writeFileSync(pushedJson, JSON.stringify(out, null, 2) + "\n");
  return { ...out, tool, toolPath: chosen!.bin, commands, pushedJson, moved };
}

/**
 * The artifacts pushed.json records after this push: an earlier record of the
 * same registry and tag keeps its other entries (in place; a re-pushed
 * filter's entry is replaced); a record of another registry or tag is replaced.
 */
function mergePushed(file: string, registry: string, tag: string, pushed: PushedArtifact[], log: (l: string) => void): PushedArtifact[] {
  if (!existsSync(file)) return pushed;
  let previous: PushedJson;
  try {
    previous = readPushedJson(file);
  } catch (err) {
    log(`warning: ${file} is unreadable (${(err as Error).message}); writing a new one`);
    return pushed;
  }
  if (previous.registry !== registry || previous.tag !== tag) {
    log(`note: ${file} recorded ${previous.registry} tag ${previous.tag}; it now records ${registry} tag ${tag}`);
    return pushed;
  }
  const key = (a: PushedArtifact) => `${a.name}\u0000${a.variant}`;
  const fresh = new Map(pushed.map((a) => [key(a), a]));
  const merged = previous.artifacts.map((a) => fresh.get(key(a)) ?? a);
  for (const a of pushed) if (!previous.artifacts.some((p) => key(p) === key(a))) merged.push(a);
  return merged;
}
