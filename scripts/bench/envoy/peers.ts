// The peers header-auth is measured against, each doing header-auth's allowed
// path with the same two keys (filters/header-auth/example-config.json holds
// their SHA-256 digests): take the key from `x-api-key`, answer 401 when it is
// missing or unknown, otherwise drop the key and pass the client's principal
// upstream in `x-auth-principal`.
import { inlineHttpFilter } from "../../../deploy/envoy-config.ts";

export const KEY_HEADER = "x-api-key";
export const PRINCIPAL_HEADER = "x-auth-principal";
/** key → principal, as header-auth's example configuration knows them. */
export const PEER_KEYS: Record<string, string> = { "demo-reporting-key": "reporting", "demo-billing-key": "billing" };

/** Envoy's own `envoy.filters.http.api_key_auth` (C++, Envoy >= 1.33; `forwarding` >= 1.35). */
export function nativeApiKeyAuth(): Record<string, unknown> {
  return inlineHttpFilter("envoy.filters.http.api_key_auth", {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth",
    credentials: Object.entries(PEER_KEYS).map(([key, client]) => ({ key, client })),
    key_sources: [{ header: KEY_HEADER }],
    forwarding: { header: PRINCIPAL_HEADER, hide_credentials: true },
  });
}

/** The same check in Envoy's Lua filter (LuaJIT): a table lookup per request. */
export const LUA_API_KEY = `
local keys = { ${Object.entries(PEER_KEYS).map(([k, p]) => `["${k}"] = "${p}"`).join(", ")} }
function envoy_on_request(handle)
  local headers = handle:headers()
  local principal = keys[headers:get("${KEY_HEADER}") or ""]
  if principal == nil then
    handle:respond({[":status"] = "401", ["www-authenticate"] = 'ApiKey realm="mesh"'}, "unauthorized")
    return
  end
  headers:remove("${KEY_HEADER}")
  headers:replace("${PRINCIPAL_HEADER}", principal)
end
`;

export function luaApiKey(): Record<string, unknown> {
  return inlineHttpFilter("envoy.filters.http.lua", {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
    default_source_code: { inline_string: LUA_API_KEY },
  });
}

/** The Go-SDK peer's configuration (go-sdk-api-key/main.go). */
export function goSdkConfiguration(): string {
  return JSON.stringify({ header: KEY_HEADER, principal_header: PRINCIPAL_HEADER, keys: PEER_KEYS });
}
