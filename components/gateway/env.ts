import { BROWSER_SESSIONS, GATEWAY_UPSTREAM_TLS, appClientSecretEnv, appClientSecretKey, type AccessSpec } from "../spec";
import { hasMtlsUpstreams, hostCertificateEnv } from "./tls";

export interface SecretEnvVar {
  name: string;
  valueFrom: { secretKeyRef: { name: string; key: string } };
}

const fromSecret = (name: string, secret: string, key: string): SecretEnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

/** The gateway's client certificate for mTLS upstreams, and each client-certificate host's server certificate. */
export function tlsEnv(spec: AccessSpec): SecretEnvVar[] {
  const upstream = hasMtlsUpstreams(spec)
    ? [fromSecret(GATEWAY_UPSTREAM_TLS.certEnv, GATEWAY_UPSTREAM_TLS.secretName, "tls.crt"), fromSecret(GATEWAY_UPSTREAM_TLS.keyEnv, GATEWAY_UPSTREAM_TLS.secretName, "tls.key")]
    : [];
  const hosts = spec.gateway.clientCertificateHosts.flatMap((h) => {
    const { certEnv, keyEnv } = hostCertificateEnv(h.host);
    return [fromSecret(certEnv, h.serverCertificateSecret, "tls.crt"), fromSecret(keyEnv, h.serverCertificateSecret, "tls.key")];
  });
  return [...upstream, ...hosts];
}

/** Session cookie secret and each app's client secret, from the browser-sessions Secret. */
export function browserSessionEnv(spec: AccessSpec): SecretEnvVar[] {
  if (spec.apps.length === 0) return [];
  return [
    fromSecret(BROWSER_SESSIONS.sessionSecretEnv, BROWSER_SESSIONS.secretName, BROWSER_SESSIONS.sessionSecretKey),
    ...spec.apps.map((a) => fromSecret(appClientSecretEnv(a.name), BROWSER_SESSIONS.secretName, appClientSecretKey(a.name))),
  ];
}

/**
 * Every secret APISIX reads: environment variables filled from Kubernetes
 * Secrets, referenced as `$env://NAME` in apisix.yaml. Nothing secret is in a
 * ConfigMap.
 */
export function gatewaySecretEnv(spec: AccessSpec): SecretEnvVar[] {
  return [...tlsEnv(spec), ...browserSessionEnv(spec)];
}
