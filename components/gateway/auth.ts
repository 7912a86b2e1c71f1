import type { IdentityEndpoints } from "../identity";
import { appSessionCookie } from "./plugin";
import {
  BROWSER_SESSIONS,
  longestAccessTokenLifespan,
  appCallbackPath,
  appClientSecretEnv,
  appLogoutPath,
  type AccessSpec,
  type BrowserAppSpec,
} from "../access-spec";

/**
 * How long openid-connect keeps the realm's keys, so that a key removed from
 * the realm's JWKS is trusted at most `gateway.jwksCacheSeconds` longer.
 * lua-resty-openidc caches twice with the same TTL: the JWKS document, and
 * the key (PEM) it derives per kid from a cached document; a PEM derived just
 * before the document expires lives one more TTL. Measured by the native
 * tier's rotation drill: up to 2 x jwk_expires_in. Hence half. Every
 * openid-connect config gets it (without it APISIX keeps keys for 24 h).
 */
export function jwksCacheConf(spec: AccessSpec) {
  return { jwk_expires_in: Math.max(1, Math.floor(spec.gateway.jwksCacheSeconds / 2)) };
}

/** The nginx shared dict of the fast path's shared level (declared in config.yaml, read by gateway-key-guard). */
export const VERIFIED_TOKENS_DICT = "gateway_verified_tokens";

/**
 * gateway-key-guard's configuration (bearer routes, just before
 * openid-connect): the discovery URL openid-connect uses, the unknown-key
 * refetch interval, the JWKS cache time it refreshes within, and the
 * verified-token fast path: tokens openid-connect verified are remembered per
 * worker and per pod until their exp; each use meets the key check first, so
 * a retired key's tokens are refused as soon as the refreshed JWKS lacks it.
 */
export function renderKeyGuardConf(spec: AccessSpec, endpoints: Pick<IdentityEndpoints, "discoveryUrl" | "issuerUrl">) {
  return {
    discovery: endpoints.discoveryUrl,
    // A token whose signature verifies is refused here when openid-connect would refuse it (another issuer, exp
    // past, nbf ahead): openid-connect then refuses nothing on a bearer route, and writes no error line per request.
    issuer: endpoints.issuerUrl,
    refetch_interval: spec.gateway.unknownKeyRefetchSeconds,
    jwks_ttl: jwksCacheConf(spec).jwk_expires_in,
    realm: spec.realm.name,
    keys_stale_if_unreachable: spec.gateway.keysStaleIfUnreachableSeconds,
    // An entry lives until the token's exp (at most the longest lifespan the realm issues): a retired key
    // is caught by the key check every remembered token meets first, not by entries dying young.
    verified_tokens: { ttl: longestAccessTokenLifespan(spec), size: spec.gateway.verifiedTokenCacheSize, shared: spec.gateway.verifiedTokenCacheMegabytes > 0 },
  };
}

/**
 * openid-connect for bearer tokens, validated locally: keys from the realm's
 * JWKS (cached), RS256 only, issuer = the realm's public issuer. The audience
 * (the gateway client), exp and nbf are checked by the identity plugin right
 * after. The raw token is not copied into X-Access-Token. It carries no
 * `_meta`: for a token it has verified before, gateway-key-guard marks it
 * skipped for the request (APISIX's plugin.skip_plugin; see the plugin).
 */
export function renderOpenidConnectConf(spec: AccessSpec, endpoints: IdentityEndpoints) {
  return {
    client_id: endpoints.audience,
    discovery: endpoints.discoveryUrl,
    realm: spec.realm.name,
    bearer_only: true,
    use_jwks: true,
    ...jwksCacheConf(spec),
    token_signing_alg_values_expected: "RS256",
    accept_unsupported_alg: false,
    accept_none_alg: false,
    ssl_verify: true,
    set_access_token_header: false,
    set_id_token_header: false,
    // The identity plugin reads the verified payload from X-Userinfo, then removes it.
    set_userinfo_header: true,
    // The audience is checked by the identity plugin (401 invalid_token; openid-connect would answer 403).
    claim_validator: {
      issuer: { valid_issuers: [endpoints.issuerUrl] },
    },
  };
}

/** What an app route does for a caller without a session: sign in (pages) or 401 (XHR/API). */
export type UnauthenticatedAction = "auth" | "deny";

/**
 * openid-connect as the browser app's OpenID Connect client: authorization
 * code with PKCE, the session in an encrypted cookie (secret from a Secret,
 * the same on every replica), the access token renewed with the refresh
 * token before it expires, and logout that ends the Keycloak session and
 * revokes the tokens.
 */
export function renderSessionOpenidConnectConf(spec: AccessSpec, endpoints: IdentityEndpoints, app: BrowserAppSpec, unauth: UnauthenticatedAction) {
  const secureCookie = app.origin.startsWith("https:");
  return {
    client_id: app.clientId,
    client_secret: `$env://${appClientSecretEnv(app.name)}`,
    discovery: endpoints.discoveryUrl,
    realm: spec.realm.name,
    bearer_only: false,
    use_pkce: true,
    scope: app.scopes.join(" "),
    redirect_uri: `${app.origin}${appCallbackPath(app)}`,
    logout_path: appLogoutPath(app),
    ...jwksCacheConf(spec),
    post_logout_redirect_uri: app.postLogoutRedirectUri,
    // The realm's logout with the app's client_id, never id_token_hint: lua-resty-openidc adds the session's ID token
    // to that URL unless told otherwise, which hands the browser the token (name, email) in its history, the
    // realm's access log and a Referer. Without it the realm asks the user to confirm the sign-out.
    redirect_after_logout_uri: `${endpoints.issuerUrl}/protocol/openid-connect/logout`,
    redirect_after_logout_with_id_token_hint: false,
    redirect_after_logout_with_client_id: true,
    revoke_tokens_on_logout: true,
    unauth_action: unauth,
    renew_access_token_on_expiry: true,
    // Renew a little early so a request never leaves with a token about to expire.
    access_token_expires_leeway: 30,
    token_signing_alg_values_expected: "RS256",
    accept_unsupported_alg: false,
    accept_none_alg: false,
    ssl_verify: true,
    // The identity plugin reads the session's access token, then removes it.
    set_access_token_header: true,
    access_token_in_authorization_header: false,
    set_id_token_header: false,
    set_userinfo_header: false,
    set_refresh_token_header: false,
    session: {
      // Explicit: the schema's `if storage is redis` also matches a conf that names no storage.
      storage: "cookie",
      secret: `$env://${BROWSER_SESSIONS.sessionSecretEnv}`,
      cookie_name: appSessionCookie(app),
      cookie_path: app.pathPrefix,
      cookie_secure: secureCookie,
      cookie_http_only: true,
      // Lax, not Strict: the session must come back on the top-level redirect from Keycloak.
      cookie_same_site: "Lax",
      absolute_timeout: app.sessionLifetime,
      idling_timeout: app.sessionIdleTimeout,
    },
  };
}

/** What a browser app's user gets while the realm cannot be reached, and when to try again. */
export const SIGN_IN_UNAVAILABLE = { status: 503, retryAfterSeconds: 30 } as const;

/**
 * openid-connect answers a bare 500 when a browser sign-in needs the realm and
 * cannot reach it: a gateway that never fetched the discovery document (a pod
 * started during the outage), or a code to exchange on the way back from the
 * login page. That is the gateway's own answer (no service was called), so it
 * becomes 503 with Retry-After and a page that says what happened. A
 * service's own 500 passes untouched: it came from upstream. Bearer routes
 * need no such page: their keys outlive an outage (the outage policy).
 */
export function renderSignInUnavailableConf(app: BrowserAppSpec) {
  const page = [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><title>Sign-in unavailable</title></head>`,
    `<body><h1>Sign-in is unavailable right now</h1><p>The sign-in service for ${escapeHtml(app.name)} cannot be reached. Nothing was lost: try again in a minute.</p></body></html>`,
    "",
  ].join("\n");
  return {
    // No upstream status: the gateway answered itself. (`!` `~~` "." holds for an absent variable.)
    vars: [
      ["status", "==", 500],
      ["upstream_status", "!", "~~", "."],
    ],
    status_code: SIGN_IN_UNAVAILABLE.status,
    headers: { set: { "Retry-After": String(SIGN_IN_UNAVAILABLE.retryAfterSeconds), "Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8" } },
    body: page,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
