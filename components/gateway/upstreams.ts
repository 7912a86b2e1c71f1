import { serviceHost, type AccessSpec, type ServiceSpec } from "../spec";

/** The `ssls` entry holding the gateway's client certificate for mTLS upstreams. */
export const UPSTREAM_CLIENT_SSL_ID = "gateway-upstream-client";

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

/**
 * One upstream per service, by its cluster DNS name. `pass_host: node` makes
 * that name both the Host and the TLS name the gateway verifies. mTLS
 * services get https and the gateway's client certificate.
 */
export function renderApisixUpstreams(spec: AccessSpec): ApisixUpstream[] {
  return spec.services.map((s) => ({
    id: upstreamId(s),
    type: "roundrobin",
    scheme: s.mtls ? "https" : "http",
    nodes: { [`${serviceHost(s)}:${s.port}`]: 1 },
    pass_host: "node",
    timeout: { connect: 5, send: 30, read: 30 },
    ...(s.mtls ? { tls: { client_cert_id: UPSTREAM_CLIENT_SSL_ID } } : {}),
  }));
}
