// `mesh-filters <command> [options]`: one entry point, one module per command
// under scripts/commands/. Each command module exports `summary` (one line for
// --help) and `run(argv)` returning the process exit code.
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  build: () => import("./commands/build.ts"),
  package: () => import("./commands/package.ts"),
  push: () => import("./commands/push.ts"),
  verify: () => import("./commands/verify.ts"),
  manifests: () => import("./commands/manifests.ts"),
  run: () => import("./commands/run.ts"),
  bench: () => import("./commands/bench.ts"),
  demo: () => import("./commands/demo.ts"),
  setup: () => import("./commands/setup.ts"),
  doctor: () => import("./commands/doctor.ts"),
};

async function usage(): Promise<string> {
  const lines = ["Usage: mesh-filters <command> [options]", "", "Commands:"];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const cmd = await load();
    lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  }
  lines.push("", "Run `mesh-filters <command> --help` for the options of a command.");
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(await usage());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`mesh-filters: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  const cmd = await load();
  try {
    return await cmd.run(rest);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`mesh-filters ${name}: ${message}`);
    if (process.env.MESH_FILTERS_DEBUG && err instanceof Error) console.error(err.stack);
    return 1;
  }
}
