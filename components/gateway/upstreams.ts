import type { AccessSpec, ServiceSpec } from "../spec";

/** A service's in-cluster DNS name, the upstream node the gateway calls. */
export function serviceHost(service: Pick<ServiceSpec, "name" | "namespace">): string {
  return `${service.name}.${service.namespace}.svc.cluster.local`;
}

export function upstreamId(service: Pick<ServiceSpec, "name" | "namespace">): string {
  return `${service.namespace}.${service.name}`.slice(0, 64);
}

export interface ApisixUpstream {
  id: string;
  type: "roundrobin";
  scheme: "http" | "https";
  nodes: Record<string, number>;
  pass_host: "node";
  timeout: { connect: number; send: number; read: number };
  [extra: string]: unknown;
}

/** One upstream per service: its cluster DNS name; the Host the service sees is its own name. */
export function renderApisixUpstreams(spec: AccessSpec): ApisixUpstream[] {
  return spec.services.map((s) => ({
    id: upstreamId(s),
    type: "roundrobin",
    scheme: "http",
    nodes: { [`${serviceHost(s)}:${s.port}`]: 1 },
    pass_host: "node",
    timeout: { connect: 5, send: 30, read: 30 },
  }));
}
