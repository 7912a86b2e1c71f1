/**
 * Names shared across wings (identity, gateway, network, policies): one place,
 * so a header renamed here is renamed everywhere, including the anti-spoofing
 * rule and the policy pack that checks it.
 */

// Facts the policy pack checks live in the pack (it must stand alone to be
// published); the components use them from there.
import { CLAIMS, GATEWAY_POD_LABELS, OIDC_PLUGIN_HEADERS, VERIFIED_TOKEN_FILTER, VERIFIED_TOKEN_VAR } from "../../policies/contract/names";
export { CLAIMS, GATEWAY_POD_LABELS, OIDC_PLUGIN_HEADERS, VERIFIED_TOKEN_FILTER, VERIFIED_TOKEN_VAR };

/** The type-token package of every component (`gateway-auth:index:<Class>`). */
export const PACKAGE = "gateway-auth";

/** Identity headers the gateway sets after validating a token. Services may trust only these. */
export const IDENTITY_HEADERS = {
  userId: "X-User-ID",
  roles: "X-User-Role",
  tenant: "X-Tenant-ID",
} as const;


/**
 * Headers that make common frameworks act on something other than the
 * request line the gateway judged: another method (Rails, Laravel, Express
 * method-override, Spring HiddenHttpMethodFilter) or another path (IIS,
 * Symfony, Zend). Removed unless a service opts out (allowMethodOverride).
 */
export const REQUEST_OVERRIDE_HEADERS = ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Original-URL", "X-Rewrite-URL"] as const;
/** The query parameter form of a method override (Rails, Laravel, Symfony). */
export const METHOD_OVERRIDE_PARAM = "_method";


/** The client scope that carries the gateway's mappers (roles, tenant, audience). */
export const GATEWAY_SCOPE_NAME = "gateway-access";

/** Keycloak's built-in default scopes a calling client keeps (`basic` carries `sub` since Keycloak 25). */
export const KEYCLOAK_BUILTIN_DEFAULT_SCOPES = ["basic", "profile", "email", "web-origins", "acr"] as const;

/** Labels every Kubernetes object of this project carries. */
export const MANAGED_BY_LABEL = { "app.kubernetes.io/managed-by": "gateway-auth" } as const;


/** One gateway instance's pods: NetworkPolicies admit exactly these, so two gateways in a stack stay apart. */
export function gatewayPodLabels(gatewayName: string): Record<string, string> {
  return { ...GATEWAY_POD_LABELS, "app.kubernetes.io/instance": gatewayName };
}

/**
 * Names of the Kubernetes objects one gateway instance owns, all from its
 * `gateway.name`: two instances in one stack never share (or delete) an object.
 */
export function gatewayObjectNames(gatewayName: string) {
  return {
    /** Deployment, Service, ServiceAccount, PodDisruptionBudget. */
    workload: gatewayName,
    config: `${gatewayName}-config`,
    plugins: `${gatewayName}-plugins`,
    upstreamTlsSecret: `${gatewayName}-upstream-mtls`,
    browserSessionsSecret: `${gatewayName}-browser-sessions`,
  };
}

/**
 * The gateway's side of upstream mTLS: a Secret in the gateway namespace
 * (tls.crt, tls.key, ca.crt; `gatewayObjectNames().upstreamTlsSecret`) mounted
 * as files, which nginx reads itself (`proxy_ssl_certificate`): the key is
 * never in a ConfigMap nor in an environment variable, and this works on
 * APISIX-Runtime and plain nginx alike.
 */
export const GATEWAY_UPSTREAM_TLS = {
  mountPath: "/etc/gateway-mtls",
  certFile: "/etc/gateway-mtls/tls.crt",
  keyFile: "/etc/gateway-mtls/tls.key",
  caFile: "/etc/gateway-mtls/ca.crt",
} as const;

/** The NetworkPolicy admitting one gateway to one service: the longest name an instance derives from a service's. */
export function gatewayToServicePolicyName(gatewayName: string, serviceName: string): string {
  return `allow-${gatewayName}-to-${serviceName}`;
}

/** The Secret (tls.crt, tls.key, ca.crt) a service mounts to serve mTLS to one gateway. */
export function serviceMtlsSecretName(gatewayName: string, serviceName: string): string {
  return `${gatewayName}-${serviceName}-mtls`;
}

/** Ports of the APISIX container: client traffic, status API (probes), metrics. */
export const GATEWAY_PORTS = { http: 9080, https: 9443, status: 7085, metrics: 9091 } as const;

/**
 * Browser sessions at the gateway: one Secret in the gateway namespace with
 * the session cookie secret (the same for every replica, so any replica reads
 * any session) and each app's client secret, passed as environment variables.
 */
export const BROWSER_SESSIONS = {
  sessionSecretKey: "session-secret",
  sessionSecretEnv: "GATEWAY_SESSION_SECRET",
} as const;

export function appClientSecretKey(appName: string): string {
  return `${appName}-client-secret`;
}

export function appClientSecretEnv(appName: string): string {
  return `GATEWAY_APP_${appName.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_CLIENT_SECRET`;
}
