#!/usr/bin/env node
// Entry point of the `mesh-filters` command. An installed package runs the
// compiled JavaScript in lib/ (built by `npm pack`; no TypeScript at run time).
// A checkout runs its TypeScript sources through tsx, so what runs is what is
// checked out; MESH_FILTERS_COMPILED=1 runs lib/ instead (`npm run build:js`).
import { existsSync } from "node:fs";

const source = new URL("../scripts/cli.ts", import.meta.url);
const compiled = new URL("../lib/scripts/cli.js", import.meta.url);

async function load() {
  if (process.env.MESH_FILTERS_COMPILED !== "1" && existsSync(source)) {
    try {
      const { register } = await import("tsx/esm/api");
      register();
      return await import(source.href);
    } catch (err) {
      // A checkout without its dev dependencies: fall back to lib/ when it was built.
      if (err?.code !== "ERR_MODULE_NOT_FOUND" || !existsSync(compiled)) throw err;
    }
  }
  if (!existsSync(compiled)) {
    console.error("mesh-filters: lib/ is missing: run `npm run build:js` (or `npm install` in a checkout to run from source)");
    process.exit(1);
  }
  return import(compiled.href);
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
