import type { AccessSpec, ClientCertificateHostSpec } from "../access-spec";

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
 * `ssls` entries: per client-certificate host, its server certificate and the
 * CA whose certificates callers must present (the CA is public, so inline).
 * Keys are never inline: they are `$env://` references that APISIX resolves
 * from the pod's environment, filled from Kubernetes Secrets. (The gateway's
 * own client certificate for upstreams is not an ssl entry: nginx reads it
 * from the mounted Secret, see `renderApisixConfig`.)
 */
export function renderApisixSsls(spec: AccessSpec): Array<Record<string, unknown>> {
  return spec.gateway.clientCertificateHosts.map(renderClientCertificateSsl);
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
