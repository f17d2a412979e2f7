// The compat layer's bytes must be a function of the module alone: fixed gzip
// header, deterministic DEFLATE, fixed tar metadata. Decoded by independent
// implementations (node:zlib, GNU tar) to show the bytes are standard.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzip, GZIP_HEADER, crc32 } from "../../oci/gzip.ts";
import { findPluginWasm, readTar, writeTar } from "../../oci/tar.ts";
import { OciLimitError } from "../../oci/limits.ts";
import { sha256Hex } from "../../oci/digest.ts";
import { REPO_ROOT, tempDir } from "./helpers/fixture-project.ts";

const enc = new TextEncoder();

describe("gzip", () => {
  const samples: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["short text", enc.encode("hello hello hello hello")],
    ["zeros (long matches)", new Uint8Array(300_000)],
    ["random (incompressible)", new Uint8Array(randomBytes(100_000))],
    ["a JS file", new Uint8Array(readFileSync(path.join(REPO_ROOT, "node_modules", "wabt", "index.js")))],
  ];
  for (const [name, data] of samples) {
    it(`round-trips through node:zlib: ${name}`, () => {
      const gz = gzip(data);
      expect(Buffer.from(gunzipSync(gz)).equals(Buffer.from(data))).toBe(true);
      expect(gzip(data)).toEqual(gz); // same input, same bytes
    });
  }

  it("writes a fixed header: no name, MTIME=0, OS=255", () => {
    const gz = gzip(enc.encode("x"));
    expect([...gz.subarray(0, 10)]).toEqual([...GZIP_HEADER]);
    expect([...gz.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(gz[9]).toBe(255);
  });

  it("compresses repetitive data", () => {
    const data = new Uint8Array(readFileSync(path.join(REPO_ROOT, "node_modules", "wabt", "index.js")));
    expect(gzip(data).length).toBeLessThan(data.length * 0.5);
    expect(gzip(new Uint8Array(randomBytes(50_000))).length).toBeLessThan(50_000 + 64);
  });

  it("has pinned output (a change to the encoder changes every compat digest)", () => {
    const data = enc.encode("mesh-wasm-filters ".repeat(100) + "plugin.wasm runtime-config.json");
    expect(sha256Hex(gzip(data))).toBe(PINNED_GZIP_SHA256);
  });

  it("computes the standard CRC-32", () => {
    expect(crc32(enc.encode("123456789")).toString(16)).toBe("cbf43926");
  });
});

const PINNED_GZIP_SHA256 = "64c40c0352f24f5ffdc274777f365a1853635d474f64adcd102464020238c9f0";

describe("tar", () => {
  it("writes sorted ustar entries with fixed mode, owner and mtime that GNU tar reads", () => {
    const dir = tempDir("tar");
    const tar = writeTar([
      { name: "runtime-config.json", data: enc.encode("{}") },
      { name: "plugin.wasm", data: enc.encode("\0asm\x01\0\0\0") },
    ]);
    const file = path.join(dir, "x.tar");
    writeFileSync(file, tar);
    const listing = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvf", file], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } }).trim().split("\n");
    expect(listing).toHaveLength(2);
    expect(listing[0]).toMatch(/^-rw-r--r-- 0\/0 +8 1970-01-01 00:00:00 plugin\.wasm$/);
    expect(listing[1]).toMatch(/^-rw-r--r-- 0\/0 +2 1970-01-01 00:00:00 runtime-config\.json$/);
    expect(tar.length % 512).toBe(0);
  });

  it("reads back what it writes and finds plugin.wasm like Istio (first entry by base name, nested ok)", () => {
    const tar = writeTar([
      { name: "a/plugin.wasm", data: enc.encode("first") },
      { name: "b/plugin.wasm", data: enc.encode("second") },
    ]);
    const entries = readTar(tar);
    expect(entries.map((e) => e.name)).toEqual(["a/plugin.wasm", "b/plugin.wasm"]);
    expect(new TextDecoder().decode(findPluginWasm(entries))).toBe("first");
  });

  it("reads archives written by GNU tar (pax/GNU headers, directories)", () => {
    const dir = tempDir("gnutar");
    const long = "d".repeat(120);
    execFileSync("mkdir", ["-p", path.join(dir, "src", long)]);
    writeFileSync(path.join(dir, "src", long, "plugin.wasm"), "\0asmDATA");
    const out = path.join(dir, "x.tar");
    execFileSync("tar", ["-C", path.join(dir, "src"), "--format=gnu", "-cf", out, "."]);
    const found = findPluginWasm(readTar(new Uint8Array(readFileSync(out))));
    expect(new TextDecoder().decode(found)).toBe("\0asmDATA");
    execFileSync("tar", ["-C", path.join(dir, "src"), "--format=posix", "-cf", out, "."]);
    expect(new TextDecoder().decode(findPluginWasm(readTar(new Uint8Array(readFileSync(out)))))).toBe("\0asmDATA");
  });

  it("rejects a corrupt header", () => {
    const tar = writeTar([{ name: "plugin.wasm", data: enc.encode("x") }]);
    tar[10] ^= 0xff;
    expect(() => readTar(tar)).toThrow(/bad header checksum/);
  });

  /** One entry whose 12-byte size field is `field`, checksum fixed up. */
  function withSizeField(field: number[]): Uint8Array {
    const tar = writeTar([{ name: "plugin.wasm", data: enc.encode("\0asm\x01\0\0\0") }]);
    tar.fill(0, 124, 136);
    tar.set(field, 124);
    tar.fill(0x20, 148, 156);
    const sum = tar.subarray(0, 512).reduce((a, b) => a + b, 0);
    tar.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    return tar;
  }
  const base256 = (...bytes: number[]) => [0x80, ...Array(11 - bytes.length).fill(0), ...bytes];

  it("reads GNU base-256 sizes, and refuses negative, overflowing and non-octal ones (hostile-input limits)", () => {
    expect(readTar(withSizeField(base256(8)))[0]!.data.length).toBe(8);
    expect(() => readTar(withSizeField(Array(12).fill(0xff)))).toThrow(OciLimitError);
    expect(() => readTar(withSizeField(Array(12).fill(0xff)))).toThrow(/negative base-256 size/);
    expect(() => readTar(withSizeField([0x80, ...Array(11).fill(0xff)]))).toThrow(/base-256 size overflows/);
    expect(() => readTar(withSizeField([...enc.encode("0000000001x"), 0]))).toThrow(/size field "0000000001x" is not an octal number/);
  });

  it("refuses more entries than the limit (extension headers count)", () => {
    const many = writeTar(Array.from({ length: 12 }, (_, i) => ({ name: `f${i}`, data: new Uint8Array(0) })));
    expect(readTar(many, 12)).toHaveLength(12);
    expect(() => readTar(many, 11)).toThrow(/more than 11 entries/);
  });
});
