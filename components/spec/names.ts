/**
 * Names shared across wings (identity, gateway, network, policies): one place,
 * so a header renamed here is renamed everywhere, including the anti-spoofing
 * rule and the policy pack that checks it.
 */

/** The type-token package of every component (`gateway-auth:index:<Class>`). */
export const PACKAGE = "gateway-auth";

/** Identity headers the gateway sets after validating a token. Services may trust only these. */
export const IDENTITY_HEADERS = {
  userId: "X-User-ID",
  roles: "X-User-Role",
  tenant: "X-Tenant-ID",
} as const;

/** Headers APISIX's openid-connect may set; never from a client, and not to services unless asked. */
export const OIDC_PLUGIN_HEADERS = ["X-Userinfo", "X-Access-Token", "X-ID-Token", "X-Refresh-Token"] as const;

/** Claims the gateway reads from a verified access token. */
export const CLAIMS = {
  subject: "sub",
  realmRoles: "realm_access.roles",
  audience: "aud",
} as const;

/** The client scope that carries the gateway's mappers (roles, tenant, audience). */
export const GATEWAY_SCOPE_NAME = "gateway-access";

/** Keycloak's built-in default scopes a calling client keeps (`basic` carries `sub` since Keycloak 25). */
export const KEYCLOAK_BUILTIN_DEFAULT_SCOPES = ["basic", "profile", "email", "web-origins", "acr"] as const;

/** Labels every Kubernetes object of this project carries. */
export const MANAGED_BY_LABEL = { "app.kubernetes.io/managed-by": "gateway-auth" } as const;

/** Pod labels of the gateway: NetworkPolicies in service namespaces admit exactly these. */
export const GATEWAY_POD_LABELS = { "app.kubernetes.io/name": "apisix", "app.kubernetes.io/component": "gateway" } as const;
