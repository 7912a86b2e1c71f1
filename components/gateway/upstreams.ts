import { serviceHost, type AccessSpec, type ServiceSpec } from "../access-spec";

export function upstreamId(service: Pick<ServiceSpec, "name" | "namespace">): string {
  return `${service.namespace}.${service.name}`.slice(0, 64);
}

/** The longest a request to `service` can run at the gateway: every phase's timeout, once (no retries). */
export function longestUpstreamRequestSeconds(service: Pick<ServiceSpec, "timeouts">): number {
  const t = service.timeouts;
  return t.connectSeconds + t.sendSeconds + t.readSeconds;
}

export interface ApisixUpstream {
  id: string;
  type: "roundrobin";
  scheme: "http" | "https";
  nodes: Record<string, number>;
  pass_host: "rewrite";
  upstream_host: string;
  timeout: { connect: number; send: number; read: number };
  retries: number;
  [extra: string]: unknown;
}

/**
 * One upstream per service, by its cluster DNS name. `upstream_host` makes
 * that name the Host and the TLS name (SNI, and the name nginx verifies the
 * service's certificate against) whatever address the node resolves to. mTLS
 * services get https; the gateway's client certificate is set for every https
 * upstream at nginx level (see `renderApisixConfig`).
 *
 * No retries: the node is the service's one cluster name, a retry would hit
 * the same Service again, and one after the request was sent could run a
 * POST twice. A failure is answered at once (502 refused or reset, 504 timed
 * out) and the spec's timeouts bound every request.
 */
export function renderApisixUpstreams(spec: AccessSpec): ApisixUpstream[] {
  return spec.services.map((s) => ({
    id: upstreamId(s),
    type: "roundrobin",
    scheme: s.mtls ? "https" : "http",
    nodes: { [`${serviceHost(s)}:${s.port}`]: 1 },
    pass_host: "rewrite",
    upstream_host: serviceHost(s),
    timeout: { connect: s.timeouts.connectSeconds, send: s.timeouts.sendSeconds, read: s.timeouts.readSeconds },
    retries: 0,
  }));
}
