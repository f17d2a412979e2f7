// Public API of the tooling (`mesh-wasm-filters/cli`): the CLI's entry point,
// the project lookup every command uses, the build and the scaffold, for
// scripts and tests that drive them from JavaScript.
export { main, usage, COMMANDS } from "./cli.ts";
export { buildFilters, formatSummary, type BuildOptions } from "./commands/build.ts";
export {
  findProject, findProjectIfAny, readProject, discoverFilters, registeredRootIds, readFiltersJson, ProjectNotFound,
  PACKAGE_ROOT, PROJECT_FILE, PACKAGE_FIELD, type Project, type FilterSource, type FilterBuild,
} from "./lib/project.ts";
export { scaffoldFilter, filterNameProblem, rootIdProblem, type ScaffoldResult } from "./lib/scaffold.ts";
export { UsageError } from "./lib/usage.ts";
