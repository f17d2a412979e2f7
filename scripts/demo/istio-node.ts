// Node metadata the way Istio's injector and istio-agent hand it to a sidecar
// (keys as in istio/proxy testdata/*_node_metadata.json.tmpl).
import type { NodeInfo } from "../../host/index.ts";

export interface Workload {
  name: string;        // deployment, e.g. "productpage-v1"
  namespace: string;
  app: string;
  version: string;
  ip: string;
  cluster?: string;
  serviceAccount?: string;
}

export function istioSidecarNode(w: Workload): NodeInfo {
  const pod = `${w.name}-7c9f8d5b4-x2x${w.app.length}k`;
  return {
    id: `sidecar~${w.ip}~${pod}.${w.namespace}~${w.namespace}.svc.cluster.local`,
    cluster: `${w.app}.${w.namespace}`,
    metadata: {
      NAME: pod,
      NAMESPACE: w.namespace,
      OWNER: `kubernetes://apis/apps/v1/namespaces/${w.namespace}/deployments/${w.name}`,
      WORKLOAD_NAME: w.name,
      ISTIO_VERSION: "1.18.2",
      MESH_ID: "cluster.local",
      CLUSTER_ID: w.cluster ?? "Kubernetes",
      LABELS: {
        app: w.app,
        version: w.version,
        "pod-template-hash": "7c9f8d5b4",
        "security.istio.io/tlsMode": "istio",
        "service.istio.io/canonical-name": w.app,
        "service.istio.io/canonical-revision": w.version,
      },
      PLATFORM_METADATA: {},
      APP_CONTAINERS: w.app,
      INSTANCE_IPS: w.ip,
      SERVICE_ACCOUNT: w.serviceAccount ?? `bookinfo-${w.app}`,
      INTERCEPTION_MODE: "REDIRECT",
    },
  };
}
