#!/usr/bin/env node
// Entry point of the `mesh-filters` command. The tooling is TypeScript; tsx
// compiles it on the fly so there is no separate build step for Node code.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../scripts/cli.ts");
process.exitCode = await main(process.argv.slice(2));
