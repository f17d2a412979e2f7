// File steps every install shares: hashing what was downloaded, and putting
// a binary in place so an interrupted install never leaves a half-written
// file where locateTool would find it.
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** `<toolsDir>/bin/<name>` -> target, as a relative symlink replaced in one rename. */
export function linkBinary(toolsDir: string, name: string, target: string): string {
  const binDir = path.join(toolsDir, "bin");
  mkdirSync(binDir, { recursive: true });
  const link = path.join(binDir, name);
  const tmp = `${link}.new-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(path.relative(binDir, target), tmp);
  renameSync(tmp, link);
  return link;
}

/** Thrown for an install that could not be done; the message is the reason shown to the user. */
export class InstallError extends Error {}

/** Where an install put the tool, and the version it reports. */
export interface Installed {
  path: string;
  version: string;
}
