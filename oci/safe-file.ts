// Reading files of an OCI layout that may have been built to hurt: a blob
// that is a FIFO (an open that never returns), a device (/dev/zero never
// ends), a symlink out of the layout, or a sparse file far larger than its
// descriptor. Only regular files inside the layout are read, and never more
// than the caller expects.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from "node:fs";
import path from "node:path";
import { formatBytes, OciLimitError } from "./limits.ts";

function kind(st: Stats): string {
  if (st.isDirectory()) return "directory";
  if (st.isFIFO()) return "FIFO";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  if (st.isSocket()) return "socket";
  if (st.isSymbolicLink()) return "symlink";
  return "special file";
}

export interface BoundedFileOptions {
  /** Refuse more than this many bytes. */
  maxBytes: number;
  /** The file must be exactly this long (a blob's descriptor size). */
  expectedSize?: number;
  /** The file (after resolving symlinks) must lie inside this directory. */
  within?: string;
  /** Names the file in errors, e.g. "oci:dist/oci:x layer 1 blob sha256:…". */
  what: string;
}

/**
 * The bytes of a regular file. ENOENT surfaces as the original error (callers
 * word "missing" their own way); everything unsafe is an OciLimitError naming
 * the file.
 */
export function readBoundedFile(file: string, o: BoundedFileOptions): Uint8Array {
  const real = realpathSync(file);
  if (o.within) {
    const root = realpathSync(o.within);
    const rel = path.relative(root, real);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) {
      throw new OciLimitError(`${o.what}: ${file} resolves to ${real}, outside ${o.within}; a layout file must be a regular file inside the layout`);
    }
  }
  // O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: the
  // path checked above cannot be swapped for a symlink before the open.
  const fd = openSync(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new OciLimitError(`${o.what}: ${file} is a ${kind(st)}, not a regular file`);
    if (o.expectedSize !== undefined && st.size !== o.expectedSize) {
      throw new OciLimitError(`${o.what}: size mismatch: descriptor says ${o.expectedSize} bytes, ${file} has ${st.size}`);
    }
    if (st.size > o.maxBytes) throw new OciLimitError(`${o.what}: ${file} is ${st.size} bytes, over the ${formatBytes(o.maxBytes)} limit`);
    const out = new Uint8Array(st.size);
    let got = 0;
    while (got < out.length) {
      const n = readSync(fd, out, got, out.length - got, got);
      if (n === 0) throw new OciLimitError(`${o.what}: ${file} ended after ${got} of ${out.length} bytes (changed while reading)`);
      got += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
