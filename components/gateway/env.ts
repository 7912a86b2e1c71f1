import { BROWSER_SESSIONS, appClientSecretEnv, appClientSecretKey, gatewayObjectNames, type AccessSpec } from "../access-spec";
import { RATE_LIMIT_PASSWORD_ENV } from "./rate-limits";
import { hostCertificateEnv } from "./tls";

export interface SecretEnvVar {
  name: string;
  valueFrom: { secretKeyRef: { name: string; key: string } };
}

const fromSecret = (name: string, secret: string, key: string): SecretEnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

/** Each client-certificate host's server certificate and key (`$env://` in its ssl entry). */
export function tlsEnv(spec: AccessSpec): SecretEnvVar[] {
  return spec.gateway.clientCertificateHosts.flatMap((h) => {
    const { certEnv, keyEnv } = hostCertificateEnv(h.host);
    return [fromSecret(certEnv, h.serverCertificateSecret, "tls.crt"), fromSecret(keyEnv, h.serverCertificateSecret, "tls.key")];
  });
}

/** Session cookie secret and each app's client secret, from the browser-sessions Secret. */
export function browserSessionEnv(spec: AccessSpec): SecretEnvVar[] {
  if (spec.apps.length === 0) return [];
  const secret = gatewayObjectNames(spec.gateway.name).browserSessionsSecret;
  return [
    fromSecret(BROWSER_SESSIONS.sessionSecretEnv, secret, BROWSER_SESSIONS.sessionSecretKey),
    ...spec.apps.map((a) => fromSecret(appClientSecretEnv(a.name), secret, appClientSecretKey(a.name))),
  ];
}

/** The rate-limit store's password, from the Secret gateway.rateLimits.store.passwordSecret names. */
export function rateLimitStoreEnv(spec: AccessSpec): SecretEnvVar[] {
  const secret = spec.gateway.rateLimits.store.passwordSecret;
  return secret ? [fromSecret(RATE_LIMIT_PASSWORD_ENV, secret.name, secret.key)] : [];
}

/**
 * Every secret APISIX reads: environment variables filled from Kubernetes
 * Secrets, referenced as `$env://NAME` in apisix.yaml. Nothing secret is in a
 * ConfigMap.
 */
export function gatewaySecretEnv(spec: AccessSpec): SecretEnvVar[] {
  return [...tlsEnv(spec), ...browserSessionEnv(spec), ...rateLimitStoreEnv(spec)];
}
