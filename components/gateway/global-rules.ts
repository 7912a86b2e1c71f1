import type { IdentityEndpoints } from "../identity";
import {
  CONVENTIONAL_IDENTITY_HEADERS,
  KEPT_HEADERS,
  METHOD_OVERRIDE_KEYS,
  OIDC_PLUGIN_HEADERS,
  REQUEST_OVERRIDE_HEADERS,
  STRIPPED_HEADER_PATTERNS,
  type AccessSpec,
} from "../access-spec";
import { DECISIONS_PLUGIN, REQUEST_GUARD_PLUGIN, appSessionCookie, managedIdentityHeaders } from "./plugin";

export const HEADER_STRIPPING_RULE_ID = "strip-identity-headers";

const lower = (names: readonly string[]) => [...new Set(names.map((n) => n.toLowerCase()))];

/**
 * Anti-spoofing, and what reaches a service is what the gateway judged:
 * global rules run before every route's plugins, so gateway-request-guard
 * here removes from every request, on every route (public ones included),
 * the identity headers, APISIX's token headers and the identity header
 * families other proxies use (by name and by pattern); the caller's
 * Authorization outside protected routes; the apps' session cookies outside
 * their session routes; override headers and parameters, unless a route's
 * service opted in. Only the identity plugin sets identity headers again,
 * after the token is verified. (Headers spelled with underscores never get
 * this far: config.yaml turns underscores_in_headers off. The caller's
 * client-address chain is APISIX's trust boundary's: see renderApisixConfig.)
 */
export function renderHeaderStrippingRule(spec: AccessSpec) {
  return {
    id: HEADER_STRIPPING_RULE_ID,
    plugins: {
      [REQUEST_GUARD_PLUGIN]: {
        strip_headers: lower([...managedIdentityHeaders(spec), ...OIDC_PLUGIN_HEADERS, ...CONVENTIONAL_IDENTITY_HEADERS]),
        strip_header_patterns: [...STRIPPED_HEADER_PATTERNS],
        keep_headers: lower(KEPT_HEADERS),
        override_headers: lower(REQUEST_OVERRIDE_HEADERS),
        override_keys: [...METHOD_OVERRIDE_KEYS],
        session_cookies: spec.apps.map(appSessionCookie),
      },
    },
  };
}

/** Metrics for every route, scraped from the gateway's metrics port. */
export function renderMetricsRule() {
  return { id: "metrics", plugins: { prometheus: { prefer_name: true } } };
}

export const DECISIONS_RULE_ID = "decisions";

/**
 * The decision log, for every request (unmatched ones included): a request id
 * to the service and back, Retry-After on 429, one JSON line per request.
 */
export function renderDecisionsRule(spec: AccessSpec, endpoints: IdentityEndpoints) {
  return {
    id: DECISIONS_RULE_ID,
    plugins: { [DECISIONS_PLUGIN]: { log_path: spec.gateway.decisionLogPath, issuer: endpoints.issuerUrl, audience: spec.clients.gateway.clientId } },
  };
}
