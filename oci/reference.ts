// Image references: `host[:port]/path/name[:tag][@sha256:...]` (docker:// and
// oci:// prefixes accepted). Names without a registry host mean Docker Hub,
// as in every docker-compatible client.
export interface ImageRef {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = "docker.io";

export function parseReference(input: string): ImageRef {
  let s = input.replace(/^(docker|oci):\/\//, "");
  let digest: string | undefined;
  const at = s.indexOf("@");
  if (at >= 0) {
    digest = s.slice(at + 1);
    s = s.slice(0, at);
  }
  let tag: string | undefined;
  const colon = s.lastIndexOf(":");
  if (colon > s.lastIndexOf("/")) {
    tag = s.slice(colon + 1);
    s = s.slice(0, colon);
  }
  const slash = s.indexOf("/");
  let registry = DOCKER_HUB;
  let repository = s;
  if (slash > 0) {
    const first = s.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first;
      repository = s.slice(slash + 1);
    }
  }
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (!repository || !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) {
    throw new Error(`invalid image reference '${input}': bad repository '${repository}'`);
  }
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error(`invalid image reference '${input}': bad tag '${tag}'`);
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`invalid image reference '${input}': bad digest '${digest}'`);
  if (tag === undefined && digest === undefined) tag = "latest";
  const ref: ImageRef = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

export function formatReference(r: ImageRef): string {
  return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** `--registry host[:port]/namespace` -> host and namespace (namespace may be empty). */
export function parseRegistryPrefix(input: string): { host: string; namespace: string } {
  const s = input.replace(/^(docker|oci|https?):\/\//, "").replace(/\/+$/, "");
  const slash = s.indexOf("/");
  const host = slash < 0 ? s : s.slice(0, slash);
  const namespace = slash < 0 ? "" : s.slice(slash + 1);
  if (!host || !/^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(host)) throw new Error(`invalid --registry '${input}': expected host[:port]/namespace`);
  if (namespace && !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(namespace)) {
    throw new Error(`invalid --registry '${input}': namespace '${namespace}' must be lowercase path components`);
  }
  return { host, namespace };
}
