// Kubernetes' naming rules (k8s.io/apimachinery/pkg/util/validation), checked
// before anything is written: an API server would refuse the resource, or
// worse, a selector that matches nothing deploys nothing without an error.

const LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL = new RegExp(`^${LABEL}$`);
const DNS1123_SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `v` is not a DNS-1123 label (namespaces, Service names), or undefined. */
export function dns1123LabelProblem(v: string): string | undefined {
  if (v.length > 63) return "must be at most 63 characters";
  if (!DNS1123_LABEL.test(v)) return "must be lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)";
  return undefined;
}

/** Why `v` is not a DNS-1123 subdomain (most resource names, Secret names), or undefined. */
export function dns1123SubdomainProblem(v: string): string | undefined {
  if (v.length > 253) return "must be at most 253 characters";
  if (!DNS1123_SUBDOMAIN.test(v)) return "must be lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit (RFC 1123 subdomain)";
  return undefined;
}

/** Why `k` is not a label or annotation key (`[prefix/]name`), or undefined. */
export function qualifiedNameProblem(k: string): string | undefined {
  const slash = k.lastIndexOf("/");
  const [prefix, name] = slash >= 0 ? [k.slice(0, slash), k.slice(slash + 1)] : [undefined, k];
  if (prefix !== undefined) {
    const p = dns1123SubdomainProblem(prefix);
    if (p || prefix === "") return `its prefix '${prefix}' ${p ?? "must not be empty"}`;
  }
  if (name.length === 0 || name.length > 63) return "its name part must be 1 to 63 characters";
  if (!QUALIFIED_NAME.test(name)) return "its name part must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return undefined;
}

/** Why `v` is not a label value, or undefined. */
export function labelValueProblem(v: string): string | undefined {
  if (v.length > 63) return "must be at most 63 characters";
  if (!LABEL_VALUE.test(v)) return "must be empty or letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return undefined;
}

export interface NameIssue {
  path: string;
  message: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function labelIssues(labels: unknown, at: string, issues: NameIssue[]): void {
  if (!isObj(labels)) return;
  for (const [k, v] of Object.entries(labels)) {
    const kp = qualifiedNameProblem(k);
    if (kp) issues.push({ path: `${at}`, message: `label key '${k}': ${kp}` });
    const vp = typeof v === "string" ? labelValueProblem(v) : "must be a string";
    if (vp) issues.push({ path: `${at}/${k}`, message: `label value '${String(v)}': ${vp}` });
  }
}

/**
 * The names of one Kubernetes resource: metadata.name (DNS-1123 subdomain),
 * metadata.namespace (DNS-1123 label), label and annotation keys and label
 * values, and the selectors and Secret names our resources carry.
 */
export function kubernetesNameIssues(doc: Record<string, unknown>): NameIssue[] {
  const issues: NameIssue[] = [];
  const meta = doc.metadata;
  if (!isObj(meta)) return issues;
  if (typeof meta.name === "string") {
    const p = dns1123SubdomainProblem(meta.name);
    if (p) issues.push({ path: "/metadata/name", message: `'${meta.name}' ${p}` });
  }
  if (typeof meta.namespace === "string") {
    const p = dns1123LabelProblem(meta.namespace);
    if (p) issues.push({ path: "/metadata/namespace", message: `namespace '${meta.namespace}' ${p}` });
  }
  labelIssues(meta.labels, "/metadata/labels", issues);
  if (isObj(meta.annotations)) {
    for (const k of Object.keys(meta.annotations)) {
      const p = qualifiedNameProblem(k);
      if (p) issues.push({ path: "/metadata/annotations", message: `annotation key '${k}': ${p}` });
    }
  }
  const spec = isObj(doc.spec) ? doc.spec : {};
  if (isObj(spec.selector)) labelIssues(spec.selector.matchLabels, "/spec/selector/matchLabels", issues);
  if (isObj(spec.workloadSelector)) labelIssues(spec.workloadSelector.labels, "/spec/workloadSelector/labels", issues);
  if (isObj(spec.workload)) labelIssues(spec.workload.labels, "/spec/workload/labels", issues);
  if (typeof spec.imagePullSecret === "string") {
    const p = dns1123SubdomainProblem(spec.imagePullSecret);
    if (p) issues.push({ path: "/spec/imagePullSecret", message: `Secret name '${spec.imagePullSecret}' ${p}` });
  }
  return issues;
}
