// The bearer-realm rules of oci/token-realm.ts, one by one: oras-go's
// (GHSA-xf85-363p-868w) and Istio's wasm fetcher's, plus ours: Basic
// credentials only to the registry's own host or over HTTPS.
import { expect, it } from "vitest";
import { checkTokenRealm, isInternalHost } from "../../oci/token-realm.ts";

it("the rules, one by one (oras-go's and Istio's, plus: Basic only to the same host or HTTPS)", () => {
  const https = "https://registry.example.com";
  const plain = "http://registry.example.com:5000";
  const ok = (realm: string, base: string, creds = true) => checkTokenRealm(realm, base, creds).sendCredentials;
  // Docker Hub style: token service on another public host, over https.
  expect(ok("https://auth.example.com/token", https)).toBe(true);
  expect(ok("https://registry.example.com/token", https)).toBe(true);
  expect(() => ok("http://registry.example.com/token", https)).toThrow(/plain http from a registry reached over https/);
  expect(() => ok("http://auth.example.com/token", https, false)).toThrow(/plain http from a registry reached over https/);
  expect(() => ok("file:///etc/passwd", https)).toThrow(/scheme file is not http or https/);
  expect(() => ok("https://u:p@auth.example.com/token", https)).toThrow(/credentials embedded/);
  expect(() => ok("/token", https)).toThrow(/not an absolute URL/);
  for (const internal of ["https://169.254.169.254/latest/meta-data", "https://[::1]/t", "https://localhost/t", "https://10.0.0.7/t", "https://[::ffff:127.0.0.1]/t", "https://2130706433/t", "https://0.0.0.0/t", "https://[fe80::1]/t", "https://metadata.google.internal./t"]) {
    expect(() => ok(internal, https), internal).toThrow(/loopback, private, link-local or unspecified address/);
  }
  // A plain-http registry: its own host (any port) is fine; another host only over https.
  expect(ok("http://registry.example.com:5001/token", plain)).toBe(true);
  expect(ok("https://auth.example.com/token", plain)).toBe(true);
  expect(() => ok("http://auth.example.com/token", plain)).toThrow(/credentials for registry.example.com:5000 go only to the registry's own host or over https/);
  expect(ok("http://auth.example.com/token", plain, false)).toBe(false); // anonymous token: allowed
  expect(isInternalHost("192.168.1.1") && isInternalHost("172.31.0.1") && !isInternalHost("172.32.0.1") && !isInternalHost("8.8.8.8")).toBe(true);
});
