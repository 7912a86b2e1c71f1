import { GATEWAY_UPSTREAM_TLS, type AccessSpec, type ClientCertificateHostSpec } from "../spec";
import { UPSTREAM_CLIENT_SSL_ID } from "./upstreams";

/** Environment variables naming a client-certificate host's server certificate and key. */
export function hostCertificateEnv(host: string): { certEnv: string; keyEnv: string } {
  const stem = `GATEWAY_HOST_${host.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  return { certEnv: `${stem}_TLS_CRT`, keyEnv: `${stem}_TLS_KEY` };
}

export function hasMtlsUpstreams(spec: AccessSpec): boolean {
  return spec.services.some((s) => s.mtls);
}

const envRef = (name: string) => `$env://${name}`;

/**
 * `ssls` entries. Keys are never inline: they are `$env://` references that
 * APISIX resolves from the pod's environment, filled from Kubernetes Secrets.
 *   - the gateway's client certificate for mTLS upstreams (type client);
 *   - per client-certificate host, its server certificate and the CA whose
 *     certificates callers must present (the CA is public, so inline).
 */
export function renderApisixSsls(spec: AccessSpec): Array<Record<string, unknown>> {
  const upstreamClient = hasMtlsUpstreams(spec)
    ? [{ id: UPSTREAM_CLIENT_SSL_ID, type: "client", cert: envRef(GATEWAY_UPSTREAM_TLS.certEnv), key: envRef(GATEWAY_UPSTREAM_TLS.keyEnv) }]
    : [];
  return [...upstreamClient, ...spec.gateway.clientCertificateHosts.map(renderClientCertificateSsl)];
}

function renderClientCertificateSsl(h: ClientCertificateHostSpec, index: number): Record<string, unknown> {
  const { certEnv, keyEnv } = hostCertificateEnv(h.host);
  return {
    id: `client-mtls-${index}`,
    type: "server",
    snis: [h.host],
    cert: envRef(certEnv),
    key: envRef(keyEnv),
    client: { ca: h.caCertificate.trim(), depth: 2 },
    ssl_protocols: ["TLSv1.2", "TLSv1.3"],
  };
}

/** Where the init container writes the CA bundle APISIX verifies upstream certificates with. */
export const TRUSTED_CA_BUNDLE = "/usr/local/apisix/conf/trusted-ca.crt";
