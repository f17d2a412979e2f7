// Which root context serves a plugin, and which context object serves an id.
import { getPropertyBytes } from "./properties";
import { LogLevelValues } from "./enums";
import { logAlways } from "./log";
import { BaseContext, Context, RootContext } from "./contexts";
import { IdTable } from "./id-table";

class RootFactory {
  constructor(public name: string, public create: (context_id: u32) => RootContext) {}
}

const factories = new Array<RootFactory>();
// Root and stream contexts share one id space (the host's context ids), so one
// table serves both: kept apart by a flag, one generic instantiation per module.
const contexts = new IdTable<BaseContext>();
const ROOT_ID_PATH = String.UTF8.encode("plugin_root_id");

/**
 * proxy-runtime's registerRootContext. The first registration is also what an
 * empty root id selects (Envoy's default when a configuration names none).
 */
export function registerRootContext(root_context_factory: (context_id: u32) => RootContext, name: string): void {
  for (let i = 0; i < factories.length; i++) {
    const f = unchecked(factories[i]);
    if (f.name == name) {
      f.create = root_context_factory;
      return;
    }
  }
  factories.push(new RootFactory(name, root_context_factory));
}

function findFactory(rootId: string): RootFactory | null {
  for (let i = 0; i < factories.length; i++) {
    const f = unchecked(factories[i]);
    if (rootId.length == 0 || f.name == rootId) return f;
  }
  return null;
}

function reportUnknownRoot(rootId: string): void {
  let names = "";
  for (let i = 0; i < factories.length; i++) {
    if (i > 0) names += ", ";
    names += unchecked(factories[i]).name;
  }
  logAlways(LogLevelValues.critical, "no root context registered for root id '" + rootId
    + "'; this module registers: " + names);
}

/** Creates the root context of a plugin; false (logged) when no factory matches. */
export function createRootContext(context_id: u32): bool {
  if (findRoot(context_id) !== null) return true;
  const raw = getPropertyBytes(ROOT_ID_PATH);
  let rootId = "";
  if (raw !== null) rootId = String.UTF8.decode(raw);
  const factory = findFactory(rootId);
  if (factory === null) {
    reportUnknownRoot(rootId);
    return false;
  }
  const root = factory.create(context_id);
  root.context_id = context_id;
  root.isRoot = true;
  contexts.set(context_id, root);
  return true;
}

// Envoy calls a stream's callbacks one after another, so the stream asked for
// last is almost always the one asked for next: a one-entry cache spares the
// map lookups on every callback but the first.
let cachedId: u32 = 0;
let cachedStream: Context | null = null;

export function createStreamContext(context_id: u32, root_context_id: u32): void {
  const root = findRoot(root_context_id);
  if (root === null) return;
  const stream = root.createContext(context_id);
  stream.isRoot = false;
  contexts.set(context_id, stream);
  cachedId = context_id;
  cachedStream = stream;
}

/** The root context of `context_id`, or null when there is none. */
// @ts-ignore: decorator
@inline export function findRoot(context_id: u32): RootContext | null {
  const c = contexts.get(context_id);
  if (c === null || !c.isRoot) return null;
  return changetype<RootContext>(c);
}

/** The stream context of `context_id`, or null when the host never created it. */
// @ts-ignore: decorator
@inline export function findStream(context_id: u32): Context | null {
  if (context_id == cachedId && cachedStream !== null) return cachedStream;
  const c = contexts.get(context_id);
  if (c === null || c.isRoot) return null;
  const stream = changetype<Context>(c);
  cachedId = context_id;
  cachedStream = stream;
  return stream;
}

export function forgetContext(context_id: u32): void {
  if (context_id == cachedId) {
    cachedId = 0;
    cachedStream = null;
  }
  contexts.delete(context_id);
}
