// Artifacts built to hurt whoever reads them. Each must make `mesh-filters
// verify` fail fast and small, naming the blob (digest, and file for a
// layout), instead of looping, hanging or eating gigabytes. The CLI runs in a
// child process under a wall-clock guard and a memory watchdog (so today's
// code fails the test rather than the machine); the assertions are on the
// message, the exit code and the peak memory.
import { execFileSync } from "node:child_process";
import { rmSync, symlinkSync, truncateSync } from "node:fs";
import type http from "node:http";
import path from "node:path";
import { constants, crc32 as zlibCrc32, deflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finish } from "../../oci/artifact.ts";
import { describe as descriptor } from "../../oci/digest.ts";
import { GZIP_HEADER, gzip } from "../../oci/gzip.ts";
import { writeTar } from "../../oci/tar.ts";
import { MT, packageFilters, writeLayout, type PackageResult } from "../../oci/index.ts";
import type { BuiltArtifact } from "../../oci/artifact.ts";
import { runCliBounded, type BoundedResult } from "../support/bounded-cli.ts";
import { makeFixtureProject, tempDir } from "./helpers/fixture-project.ts";
import { startFakeRegistry, type FakeRegistry } from "./helpers/fake-registry.ts";

const enc = new TextEncoder();
/** Well above what verify needs (~150 MiB for Node and the CLI), far below what the attacks cost. */
const SMALL_MIB = 320;

let pkg: PackageResult;
let reg: FakeRegistry;
let cwd: string;

/**
 * An image whose only layer is `layer` (compat shape, so Istio's rules gunzip
 * and untar it). Its config lists one DiffID, as the image-spec asks; nobody
 * can hash a hostile layer's uncompressed bytes, so the value is a placeholder.
 */
function compatImage(layer: Uint8Array): BuiltArtifact {
  const cfg = enc.encode(JSON.stringify({ architecture: "wasm", os: "wasi", config: {}, rootfs: { type: "layers", diff_ids: [`sha256:${"0".repeat(64)}`] } }));
  return finish("hostile", "compat", { schemaVersion: 2, mediaType: MT.ociManifest, config: descriptor(MT.ociImageConfig, cfg), layers: [descriptor(MT.ociLayerTarGzip, layer)] }, [cfg, layer]);
}

/** A ustar header with the given raw size field and type, checksum recomputed. */
function header(name: string, sizeField: Uint8Array, type = "0"): Uint8Array {
  const h = writeTar([{ name, data: new Uint8Array(0) }]).slice(0, 512);
  h.fill(0, 124, 136);
  h.set(sizeField, 124);
  h[156] = type.charCodeAt(0);
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return h;
}

function tar(...blocks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(blocks.reduce((n, b) => n + Math.ceil(b.length / 512) * 512, 0) + 1024);
  let off = 0;
  for (const b of blocks) {
    out.set(b, off);
    off += Math.ceil(b.length / 512) * 512;
  }
  return out;
}

/**
 * A valid gzip member that inflates to `mib` MiB of zeros in about a KiB per
 * MiB: one sync-flushed DEFLATE chunk of a MiB of zeros, repeated (each copy
 * only refers back to zeros), then an empty final block and the trailer.
 */
function gzipBomb(mib: number): Uint8Array {
  const zeros = Buffer.alloc(1 << 20);
  const chunk = deflateRawSync(zeros, { finishFlush: constants.Z_SYNC_FLUSH });
  const body = Buffer.concat([...Array.from({ length: mib }, () => chunk), Buffer.from([0x03, 0x00])]);
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = zlibCrc32(zeros, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((mib * (1 << 20)) >>> 0, 4);
  return new Uint8Array(Buffer.concat([GZIP_HEADER, body, trailer]));
}

const made: string[] = [];
function layoutWith(tag: string, artifact: BuiltArtifact): string {
  const dir = tempDir(`hostile-${tag}`);
  made.push(dir); // removed afterwards: some hold FIFOs and 1.5 GiB sparse files
  writeLayout(dir, [{ tag, artifact }]);
  return dir;
}

const blobFile = (dir: string, digest: string) => path.join(dir, "blobs", "sha256", digest.slice(7));

function verify(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BoundedResult> {
  return runCliBounded(["verify", ...args], { cwd, env: { CI: "", ...env } });
}

/** The checks every case shares: a failure (not a hang, not a kill), small, naming what it names. */
function expectSmallFailure(r: BoundedResult, ...mentions: (string | RegExp)[]): void {
  expect(r.killed, `guard stopped the CLI (${r.killed}) after ${r.ms} ms at ${Math.round(r.peakRssMiB)} MiB; stderr: ${r.stderr.slice(0, 500)}`).toBeUndefined();
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^FAILED: /);
  for (const m of mentions) expect(r.stderr).toMatch(typeof m === "string" ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) : m);
  expect(r.peakRssMiB).toBeLessThan(SMALL_MIB);
}

beforeAll(async () => {
  const fx = await makeFixtureProject({ filters: [{ name: "header-auth", rootIds: ["header_auth"] }] });
  pkg = packageFilters({ projectRoot: fx.root, env: { SOURCE_DATE_EPOCH: "1700000000" } });
  reg = await startFakeRegistry();
  cwd = tempDir("hostile-cwd");
});
afterAll(async () => {
  await reg?.close();
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe("hostile layers (tar and gzip)", () => {
  it("a tar entry with a negative size (an 80-byte layer) fails at once, naming the blob", async () => {
    const layer = gzip(tar(header("plugin.wasm", enc.encode("-0001000"))));
    expect(layer.length).toBeLessThanOrEqual(80);
    const img = compatImage(layer);
    const dir = layoutWith("negative", img);
    const r = await verify([`oci:${dir}:negative`]);
    expectSmallFailure(r, "layer 0 blob " + img.manifest.layers[0]!.digest, blobFile(dir, img.manifest.layers[0]!.digest), /size field "-0001000" is not an octal number/);
  });

  it("a pax record with a negative size fails the same way", async () => {
    const record = "13 size=-512\n"; // the length counts the whole record
    const layer = gzip(tar(header("PaxHeaders/plugin.wasm", enc.encode(record.length.toString(8).padStart(11, "0")), "x"), enc.encode(record), header("plugin.wasm", enc.encode("00000000000"))));
    const img = compatImage(layer);
    const dir = layoutWith("pax", img);
    expectSmallFailure(await verify([`oci:${dir}:pax`]), img.manifest.layers[0]!.digest, /pax size "-512" is not a size/);
  });

  it("a gzip bomb (1 KiB per MiB, 1 GiB inflated) stops at the 256 MiB limit", async () => {
    const layer = gzipBomb(1024);
    expect(layer.length).toBeLessThan(2 << 20);
    const img = compatImage(layer);
    const dir = layoutWith("bomb", img);
    const r = await verify([`oci:${dir}:bomb`]);
    // The limit itself is allowed to be allocated (it is what Istio allows), nothing beyond it.
    expect(r.killed, `guard stopped the CLI (${r.killed}) at ${Math.round(r.peakRssMiB)} MiB`).toBeUndefined();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`layer 0 blob ${img.manifest.layers[0]!.digest} (${blobFile(dir, img.manifest.layers[0]!.digest)}): gzip data decompresses to more than 256 MiB`);
    expect(r.peakRssMiB).toBeLessThan(SMALL_MIB + 256);
    // …and the limit follows MESH_FILTERS_MAX_WASM_BYTES, staying small when set small.
    const small = await verify([`oci:${dir}:bomb`], { MESH_FILTERS_MAX_WASM_BYTES: String(4 << 20) });
    expectSmallFailure(small, /decompresses to more than 4 MiB/);
  });
});

describe("hostile files in a layout", () => {
  const tagOf = "header-auth-compat";
  const fresh = () => {
    const a = pkg.artifacts.find((x) => x.tag === tagOf)!.artifact;
    const dir = layoutWith(tagOf, a);
    return { dir, layer: a.manifest.layers[0]!, file: blobFile(dir, a.manifest.layers[0]!.digest) };
  };

  it("a blob that is a FIFO is refused without opening it for a writer that never comes", async () => {
    const { dir, layer, file } = fresh();
    rmSync(file);
    execFileSync("mkfifo", [file]);
    expectSmallFailure(await verify([`oci:${dir}:${tagOf}`]), `layer 0 blob ${layer.digest}: ${file} is a FIFO, not a regular file`);
  });

  it("a blob that is a symlink to a device (/dev/zero) is refused: it leaves the layout", async () => {
    const { dir, layer, file } = fresh();
    rmSync(file);
    symlinkSync("/dev/zero", file);
    expectSmallFailure(await verify([`oci:${dir}:${tagOf}`]), `layer 0 blob ${layer.digest}: ${file} resolves to /dev/zero, outside ${dir}`);
  });

  it("a blob far larger than its descriptor (a 1.5 GiB sparse file) is refused before reading", async () => {
    const { dir, layer, file } = fresh();
    truncateSync(file, 1.5 * 2 ** 30);
    expectSmallFailure(await verify([`oci:${dir}:${tagOf}`]), `size mismatch: descriptor says ${layer.size} bytes, ${file} has ${1.5 * 2 ** 30}`);
  });

  it("an index.json that is a FIFO is refused too", async () => {
    const { dir } = fresh();
    rmSync(path.join(dir, "index.json"));
    execFileSync("mkfifo", [path.join(dir, "index.json")]);
    expectSmallFailure(await verify([`oci:${dir}:${tagOf}`]), `${path.join(dir, "index.json")} is a FIFO, not a regular file`);
  });
});

describe("hostile registries", () => {
  /** Answers GETs of `digest` with `write`; everything else as a registry would. */
  function blobRoute(digest: string, write: (res: http.ServerResponse) => void): void {
    reg.route((req, res) => {
      if (!req.url?.endsWith(`/blobs/${digest}`)) return false;
      write(res);
      return true;
    });
  }

  /** Streams zeros until the client goes away. */
  function forever(res: http.ServerResponse): void {
    const chunk = Buffer.alloc(64 * 1024);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once("drain", pump);
    };
    res.on("close", () => res.removeAllListeners("drain"));
    pump();
  }

  it("a blob that never ends fails once it passes its descriptor's size", async () => {
    const a = pkg.artifacts.find((x) => x.tag === "header-auth-compat")!.artifact;
    reg.put("endless/header-auth", "1", a);
    const layer = a.manifest.layers[0]!;
    blobRoute(layer.digest, (res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      forever(res);
    });
    const r = await verify(["--plain-http", `${reg.host}/endless/header-auth:1`]);
    expectSmallFailure(r, `layer 0 blob ${layer.digest}: the registry sent more than the ${layer.size} bytes the descriptor says`);
  });

  it("a blob that stalls half-way fails after the idle timeout (MESH_FILTERS_REGISTRY_TIMEOUT_MS)", async () => {
    const a = pkg.artifacts.find((x) => x.tag === "header-auth")!.artifact;
    reg.put("stalled/header-auth", "1", a);
    const layer = a.manifest.layers[1]!;
    blobRoute(layer.digest, (res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": layer.size });
      res.write(a.blobs.get(layer.digest)!.subarray(0, 100)); // then nothing, connection kept open
    });
    const r = await verify(["--plain-http", `${reg.host}/stalled/header-auth:1`], { MESH_FILTERS_REGISTRY_TIMEOUT_MS: "1000" });
    expectSmallFailure(r, `layer 1 blob ${layer.digest}: the registry sent nothing for 1000 ms after 100 bytes`);
  });

  it("a manifest that never ends fails at the 4 MiB manifest limit", async () => {
    reg.route((req, res) => {
      if (req.url !== "/v2/endless/manifest/manifests/1") return false;
      res.writeHead(200, { "content-type": MT.ociManifest });
      forever(res);
      return true;
    });
    const r = await verify(["--plain-http", `${reg.host}/endless/manifest:1`]);
    expectSmallFailure(r, `${reg.host}/endless/manifest:1 manifest: the registry sent more than the 4 MiB limit`);
  });
});
