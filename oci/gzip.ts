// Reproducible gzip (RFC 1952): a fixed 10-byte header (no file name, MTIME=0,
// OS=255 "unknown") so the bytes do not depend on when or where we ran, around
// the deterministic DEFLATE stream of deflate.ts.
import { gunzipSync } from "node:zlib";
import { deflateRaw } from "./deflate.ts";
import { DEFAULT_LIMITS, formatBytes, OciLimitError } from "./limits.ts";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const GZIP_HEADER = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);

export function gzip(data: Uint8Array): Uint8Array {
  const body = deflateRaw(data);
  const out = new Uint8Array(GZIP_HEADER.length + body.length + 8);
  out.set(GZIP_HEADER, 0);
  out.set(body, GZIP_HEADER.length);
  const view = new DataView(out.buffer);
  view.setUint32(out.length - 8, crc32(data), true);
  view.setUint32(out.length - 4, data.length >>> 0, true);
  return out;
}

/**
 * Decompresses, stopping as soon as the output would pass `maxBytes` (a gzip
 * bomb costs at most that much memory and time, then fails).
 */
export function gunzip(data: Uint8Array, maxBytes = DEFAULT_LIMITS.maxUnpackedBytes): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(data, { maxOutputLength: maxBytes }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new OciLimitError(`gzip data decompresses to more than ${formatBytes(maxBytes)} (the limit for a decompressed layer)`);
    }
    throw err;
  }
}
