// add-header: adds a configured header to every response.
// The template for new filters: configuration is parsed and validated once in
// onConfigure, everything a request needs is prepared there as bytes, and the
// per-request path makes one host call.
export * from "../../assembly/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, HeaderMapTypeValues,
  BufferTypeValues, get_buffer_bytes, addHeaderBytes, replaceHeaderBytes,
} from "../../assembly";
import { ConfigReader } from "../../assembly/config-reader";
import { configurationAccepted } from "../../assembly/config-report";
import { isHeaderName, isHeaderValue } from "../../assembly/http-token";

class AddHeaderRoot extends RootContext {
  name: ArrayBuffer = new ArrayBuffer(0);
  value: ArrayBuffer = new ArrayBuffer(0);
  replace: bool = false;

  onConfigure(configuration_size: u32): bool {
    const config = ConfigReader.parseBuffer(get_buffer_bytes(BufferTypeValues.PluginConfiguration, 0, configuration_size));
    const name = config.string("name", "x-added-by");
    const value = config.string("value", "mesh-wasm-filters");
    const replace = config.bool("replace", false);
    config.rejectUnknown();
    if (!isHeaderName(name)) config.error("name", "must be a lower-case HTTP header name (token characters, not a pseudo-header)");
    if (!isHeaderValue(value)) config.error("value", "must not contain CR, LF or NUL");
    if (!configurationAccepted("add-header", config)) return false;
    this.name = String.UTF8.encode(name);
    this.value = String.UTF8.encode(value);
    this.replace = replace;
    return true;
  }

  createContext(context_id: u32): Context {
    return new AddHeaderStream(context_id, this);
  }
}

class AddHeaderStream extends Context {
  constructor(context_id: u32, readonly root: AddHeaderRoot) {
    super(context_id, root);
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root;
    if (root.replace) replaceHeaderBytes(HeaderMapTypeValues.ResponseHeaders, root.name, root.value);
    else addHeaderBytes(HeaderMapTypeValues.ResponseHeaders, root.name, root.value);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => new AddHeaderRoot(context_id) as RootContext, "add_header");
