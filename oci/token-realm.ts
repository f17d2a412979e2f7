// Where a registry may send us for a bearer token, and whether our password
// may follow. The realm comes from the registry's WWW-Authenticate challenge,
// so a hostile or compromised registry chooses it: it could point at cloud
// metadata or an internal service (SSRF), or at plain HTTP to read the Basic
// credentials we would send. The rules are the ones oras-go adopted for
// GHSA-xf85-363p-868w (v2.6.2, "reject unsafe bearer realm URLs") and Istio's
// wasm image fetcher (pkg/wasm, "rejected unsafe bearer realm"):
//   - only http and https realms, without user:password in the URL;
//   - no http realm when the registry was reached over https (downgrade);
//   - no loopback, private, link-local or unspecified address (nor localhost,
//     metadata.google.internal) unless it is the registry's own host;
// and ours on top: Basic credentials go only to a realm on the registry's own
// host or over HTTPS; a realm that qualifies for neither is refused rather
// than asked anonymously (which would only fail later, less clearly).
import net from "node:net";
import { RegistryError } from "./registry-error.ts";

export interface RealmDecision {
  url: URL;
  sendCredentials: boolean;
}

const internalV4 = new net.BlockList();
for (const [a, p] of [["0.0.0.0", 8], ["10.0.0.0", 8], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12], ["192.168.0.0", 16]] as const) internalV4.addSubnet(a, p, "ipv4");
const internalV6 = new net.BlockList();
for (const [a, p] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10]] as const) internalV6.addSubnet(a, p, "ipv6");

function hostOf(u: URL): string {
  return u.hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

/** localhost, cloud metadata names, loopback/private/link-local/unspecified IP literals. */
export function isInternalHost(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost") || host === "metadata.google.internal") return true;
  // IPv4-mapped IPv6 (URL parsing writes ::ffff:127.0.0.1 as ::ffff:7f00:1) is checked as IPv4.
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  const v4 = dotted ? dotted[1]! : hex ? [parseInt(hex[1]!, 16) >> 8, parseInt(hex[1]!, 16) & 255, parseInt(hex[2]!, 16) >> 8, parseInt(hex[2]!, 16) & 255].join(".") : host;
  if (net.isIPv4(v4)) return internalV4.check(v4, "ipv4");
  if (net.isIPv6(host)) return internalV6.check(host, "ipv6");
  return false;
}

/** Checks a bearer realm against the registry's base URL; throws a RegistryError naming the rule broken. */
export function checkTokenRealm(realm: string, registryBaseUrl: string, haveCredentials: boolean): RealmDecision {
  const registry = new URL(registryBaseUrl);
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new RegistryError(`registry ${registry.host}: rejected bearer realm '${realm}': not an absolute URL`);
  }
  const refuse = (why: string) => new RegistryError(`registry ${registry.host}: rejected unsafe bearer realm '${realm}': ${why}`);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw refuse(`scheme ${url.protocol.replace(/:$/, "")} is not http or https`);
  if (url.username || url.password) throw refuse("credentials embedded in the URL");
  if (registry.protocol === "https:" && url.protocol === "http:") throw refuse("plain http from a registry reached over https would expose the token exchange");
  const sameHost = hostOf(url) === hostOf(registry);
  if (!sameHost && isInternalHost(hostOf(url))) throw refuse(`${url.hostname} is a loopback, private, link-local or unspecified address and not the registry's host`);
  if (haveCredentials && !sameHost && url.protocol !== "https:") {
    throw refuse(`the credentials for ${registry.host} go only to the registry's own host or over https, and this realm is neither`);
  }
  return { url, sendCredentials: haveCredentials };
}
