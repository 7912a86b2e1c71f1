import type { IdentityEndpoints } from "../identity";
import { OIDC_PLUGIN_HEADERS, type AccessSpec } from "../spec";
import { DECISIONS_PLUGIN, managedIdentityHeaders } from "./plugin";

export const HEADER_STRIPPING_RULE_ID = "strip-identity-headers";

/**
 * Anti-spoofing: global rules run before every route's plugins, so removing
 * the identity headers here means a client's copy never reaches a service,
 * on any route, public ones included. Only the identity plugin sets them
 * again, after the token is verified. (Headers spelled with underscores never
 * get this far: config.yaml turns underscores_in_headers off. The caller's
 * client-address chain is APISIX's trust boundary's: see renderApisixConfig.)
 */
export function renderHeaderStrippingRule(spec: AccessSpec) {
  return {
    id: HEADER_STRIPPING_RULE_ID,
    plugins: { "proxy-rewrite": { headers: { remove: [...managedIdentityHeaders(spec), ...OIDC_PLUGIN_HEADERS] } } },
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
  return { id: DECISIONS_RULE_ID, plugins: { [DECISIONS_PLUGIN]: { log_path: spec.gateway.decisionLogPath, issuer: endpoints.issuerUrl, audience: spec.clients.gateway.clientId } } };
}
