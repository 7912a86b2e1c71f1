import { serviceHost, type AccessSpec, type ServiceSpec } from "../spec";

export function upstreamId(service: Pick<ServiceSpec, "name" | "namespace">): string {
  return `${service.namespace}.${service.name}`.slice(0, 64);
}

/** Seconds the gateway gives a service to accept, take and answer a request: the longest request it lets run. */
export const UPSTREAM_TIMEOUTS = { connect: 5, send: 30, read: 30 } as const;

export interface ApisixUpstream {
  id: string;
  type: "roundrobin";
  scheme: "http" | "https";
  nodes: Record<string, number>;
  pass_host: "rewrite";
  upstream_host: string;
  timeout: { connect: number; send: number; read: number };
  [extra: string]: unknown;
}

/**
 * One upstream per service, by its cluster DNS name. `upstream_host` makes
 * that name the Host and the TLS name (SNI, and the name nginx verifies the
 * service's certificate against) whatever address the node resolves to. mTLS
 * services get https; the gateway's client certificate is set for every https
 * upstream at nginx level (see `renderApisixConfig`).
 */
export function renderApisixUpstreams(spec: AccessSpec): ApisixUpstream[] {
  return spec.services.map((s) => ({
    id: upstreamId(s),
    type: "roundrobin",
    scheme: s.mtls ? "https" : "http",
    nodes: { [`${serviceHost(s)}:${s.port}`]: 1 },
    pass_host: "rewrite",
    upstream_host: serviceHost(s),
    timeout: { ...UPSTREAM_TIMEOUTS },
  }));
}
