// Option helpers for the package, push and verify commands (scripts/commands/).
import { VARIANTS, type Variant } from "./index.ts";

export function parseVariant(v: string | undefined): Variant[] {
  if (v === undefined || v === "both" || v === "all") return [...VARIANTS];
  if (v === "wasm" || v === "compat") return [v];
  throw new Error(`--variant must be wasm, compat or both, got '${v}'`);
}

/** The whole of stdin, minus one trailing newline (what `echo $PW |` adds). */
export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new Error("--password-stdin: stdin is a terminal; pipe the password in (e.g. `printf %s \"$PW\" | mesh-filters ...`)");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

export async function credentialsFromFlags(username: string | undefined, passwordStdin: boolean | undefined): Promise<{ username: string; password: string } | undefined> {
  if (passwordStdin && !username) throw new Error("--password-stdin needs --username");
  if (!username) return undefined;
  if (!passwordStdin) throw new Error("--username needs --password-stdin (passwords are never taken on the command line)");
  const password = await readStdin();
  if (!password) throw new Error("--password-stdin: empty password on stdin");
  return { username, password };
}
