/**
 * Names shared across wings (identity, gateway, network, policies): one place,
 * so a header renamed here is renamed everywhere, including the anti-spoofing
 * rule and the policy pack that checks it.
 */

// Facts the policy pack checks live in components/contract (the pack has a copy).
import { GATEWAY_POD_LABELS } from "../contract/names";
export {
  CLAIMS,
  GATEWAY_POD_LABELS,
  GRANTED_OUTSIDE_SPEC_ATTRIBUTE,
  OIDC_PLUGIN_HEADERS,
  REQUEST_GUARD_PLUGIN,
  isInfrastructureHeader,
} from "../contract/names";

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
 * method-override, Spring HiddenHttpMethodFilter, Traefik/nginx forward-auth
 * conventions) or another path (IIS, Symfony, Zend, auth_request's
 * X-Original-URI). Removed unless a service opts out (allowMethodOverride).
 */
export const REQUEST_OVERRIDE_HEADERS = [
  "X-HTTP-Method-Override",
  "X-HTTP-Method",
  "X-Method-Override",
  "X-Original-URL",
  "X-Rewrite-URL",
  "X-Forwarded-Method",
  "X-Original-Method",
  "X-Original-URI",
  "X-Forwarded-Uri",
] as const;
/**
 * Parameter names frameworks read as a method override, in the query string
 * or a form body (Rails/Rack, Laravel/Symfony, Express method-override,
 * Spring HiddenHttpMethodFilter, ASP.NET Core's form field option),
 * compared after decoding as those frameworks decode (gateway-request-guard).
 */
export const METHOD_OVERRIDE_PARAM = "_method";
export const METHOD_OVERRIDE_KEYS = [
  METHOD_OVERRIDE_PARAM,
  "x-http-method-override",
  "x_http_method_override",
  "x-http-method",
  "x_http_method",
  "x-method-override",
  "x_method_override",
] as const;

/**
 * Identity headers other proxies set by convention (oauth2-proxy, Apache and
 * nginx auth_request, Kong, cloud identity-aware proxies): services migrated
 * from them trust these by habit, so no caller's copy may reach one.
 * Exact names, then Lua patterns on lower-case names.
 */
export const CONVENTIONAL_IDENTITY_HEADERS = [
  "X-Forwarded-User",
  "X-Forwarded-Email",
  "X-Forwarded-Groups",
  "X-Forwarded-Preferred-Username",
  "X-Remote-User",
  "Remote-User",
  "Remote-Groups",
  "Remote-Email",
  "Remote-Name",
  "X-User",
  "X-Email",
  "X-Auth-User",
  "X-Authenticated-User",
  "X-Authenticated-Userid",
  "X-Authenticated-Scope",
  "X-Authenticated-Groups",
  "X-Consumer-ID",
  "X-Consumer-Username",
  "X-Consumer-Custom-ID",
  "X-Credential-Identifier",
  "X-Anonymous-Consumer",
  "X-Jwt-Assertion",
  "X-Raw-ID-Token",
  "Proxy-Authorization",
] as const;
/**
 * Header-name families removed from every request: every `X-...-Token`
 * spelling (X-Access-Token, X-Raw-ID-Token, X-Forwarded-Access-Token, ...),
 * the `X-Auth-Request-*` and `X-Remote-*` families, cloud proxies' identity
 * headers, and `X-User-*` / `X-Tenant-*` beside the gateway's own.
 */
export const STRIPPED_HEADER_PATTERNS = [
  "^x%-.+%-token$",
  "^x%-.+%-token%-",
  "^x%-userinfo",
  "^x%-auth%-request%-",
  "^x%-remote%-",
  "^x%-forwarded%-user",
  "^x%-forwarded%-email",
  "^x%-forwarded%-groups",
  "^x%-user%-",
  "^x%-tenant%-",
  "^x%-amzn%-oidc%-",
  "^x%-goog%-authenticated%-",
  "^x%-goog%-iap%-",
  "^x%-ms%-client%-principal",
  "^x%-ms%-token%-",
  "^cf%-access%-",
] as const;
/** Names a pattern above matches that are not credentials: anti-CSRF tokens, which services check against their own cookie. */
export const KEPT_HEADERS = ["X-CSRF-Token", "X-XSRF-Token", "X-CSRFToken"] as const;

/** The client scope that carries the gateway's mappers (roles, tenant, audience). */
export const GATEWAY_SCOPE_NAME = "gateway-access";

/** Keycloak's built-in default scopes a calling client keeps (`basic` carries `sub` since Keycloak 25). */
export const KEYCLOAK_BUILTIN_DEFAULT_SCOPES = ["basic", "profile", "email", "web-origins", "acr"] as const;
/** Every client scope a Keycloak 26 realm starts with (plus `openid`, which clients always ask for): API scopes must not reuse them. */
export const KEYCLOAK_BUILTIN_SCOPES: readonly string[] = [
  ...KEYCLOAK_BUILTIN_DEFAULT_SCOPES,
  "openid",
  "roles",
  "offline_access",
  "address",
  "phone",
  "microprofile-jwt",
  "organization",
  "service_account",
];

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
