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

/** Headers APISIX's openid-connect may set; never from a client, and not to services unless asked. */
export const OIDC_PLUGIN_HEADERS = ["X-Userinfo", "X-Access-Token", "X-ID-Token", "X-Refresh-Token"] as const;

/**
 * The verified-token fast path: gateway-key-guard sets this variable to "yes"
 * for a token openid-connect verified on an earlier request, and
 * openid-connect's only permitted `_meta` is this filter, which makes it
 * stand aside then. Any other `_meta` (a filter, `disable`, a priority, a
 * pre_function) could skip or reorder authentication.
 */
export const VERIFIED_TOKEN_VAR = "gateway_token_verified";
export const VERIFIED_TOKEN_FILTER: ReadonlyArray<readonly [string, string, string]> = [[VERIFIED_TOKEN_VAR, "~=", "yes"]];

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
