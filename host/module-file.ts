// Reading a module file without trusting it: a FIFO or a device must not make
// the host wait or read forever, and a file above the size cap is refused
// before it is read.
import { open } from "node:fs/promises";
import { constants } from "node:fs";
import { PluginLoadError } from "./errors.ts";

export async function readModuleFile(file: string, maxBytes: number): Promise<Uint8Array> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PluginLoadError(`cannot read Wasm module: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      const kind = st.isFIFO() ? "a FIFO" : st.isDirectory() ? "a directory" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : "a special file";
      throw new PluginLoadError(`${kind}, not a regular file`);
    }
    if (st.size > maxBytes) throw new PluginLoadError(`${st.size} bytes, above the host's cap of ${maxBytes} bytes (maxModuleBytes)`);
    const out = new Uint8Array(st.size);
    for (let got = 0; got < out.length; ) {
      const { bytesRead } = await handle.read(out, got, out.length - got, got);
      if (bytesRead === 0) throw new PluginLoadError(`changed while reading (${got} of ${st.size} bytes)`);
      got += bytesRead;
    }
    return out;
  } finally {
    await handle.close();
  }
}
