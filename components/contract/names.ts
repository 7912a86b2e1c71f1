/**
 * What a gateway-auth stack looks like, as far as the policy pack checks it:
 * the claims the gateway reads, the labels of its pods and the headers of
 * APISIX's openid-connect. The components and the policy pack read these
 * from here (the pack from its copy, policies/contract/, written by
 * `npm run sync:contract` so it stays publishable on its own), so the pack
 * and what it checks cannot drift.
 */

/** Claims the gateway reads from a verified access token. */
export const CLAIMS = {
  subject: "sub",
  realmRoles: "realm_access.roles",
  audience: "aud",
} as const;

/** Pod labels every gateway carries (policies recognise a gateway by them). */
export const GATEWAY_POD_LABELS = { "app.kubernetes.io/name": "apisix", "app.kubernetes.io/component": "gateway" } as const;

/**
 * Request headers that mean something to the proxies and frameworks between
 * the gateway and a service's code: which client, host, scheme, path or
 * method the request "really" had (Express, Spring, Rails, ASP.NET, Symfony,
 * IIS honour them). A claim mapped onto one (`gateway.claimHeaders`) would
 * let whoever sets that claim (a user editing their profile) choose the
 * method or path a service acts on after the gateway authorized another, or
 * the address it logs: no claim header may use them. Lower case; a trailing
 * `*` is a prefix.
 */
export const INFRASTRUCTURE_HEADERS = [
  "x-forwarded-*",
  "x-real-ip",
  "x-client-ip",
  "x-original-*",
  "x-rewrite-url",
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
  "x-request-id",
] as const;

/** Whether a request header is one of INFRASTRUCTURE_HEADERS. */
export function isInfrastructureHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return INFRASTRUCTURE_HEADERS.some((h) => (h.endsWith("*") ? lower.startsWith(h.slice(0, -1)) : lower === h));
}

/** Headers APISIX's openid-connect may set; never from a client, and not to services unless asked. */
export const OIDC_PLUGIN_HEADERS = ["X-Userinfo", "X-Access-Token", "X-ID-Token", "X-Refresh-Token"] as const;

/** The project's global plugin that removes, from every request, the headers a service must not take from a caller (its conf's strip_headers). */
export const REQUEST_GUARD_PLUGIN = "gateway-request-guard";

/**
 * The realm-role attribute marking a role given outside the spec
 * (realm.roles[].grantedOutsideSpec): the policy pack then counts it as
 * granted, as the spec's own check does.
 */
export const GRANTED_OUTSIDE_SPEC_ATTRIBUTE = "gateway-auth.granted-outside-spec";

/**
 * Whether a redirect URI's wildcard is one Keycloak honours: a single `*` as
 * the last character, after the host and a "/" (`http://localhost:3000/*`).
 * Anywhere else (the host, the port, mid-path) Keycloak takes it literally,
 * so it never matches. True for a URI without a wildcard.
 */
export function redirectWildcardHonoured(uri: string): boolean {
  return !uri.includes("*") || /^[a-z][a-z0-9+.-]*:\/\/[^/*]+\/[^*]*\*$/i.test(uri);
}
