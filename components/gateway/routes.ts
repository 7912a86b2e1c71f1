import {
  allRoutes,
  apisixRouteMatch,
  effectiveRateLimit,
  type AccessRuleSpec,
  appCallbackPath,
  appLogoutPath,
  appOfRoute,
  corsEnabled,
  isAppApiRoute,
  routeMethods,
  type AccessSpec,
  type BrowserAppSpec,
  type HttpMethod,
  type LocatedRoute,
} from "../access-spec";
import type { IdentityEndpoints } from "../identity";
import { renderKeyGuardConf, renderOpenidConnectConf, renderSessionOpenidConnectConf, renderSignInUnavailableConf } from "./auth";
import { renderCorsConf } from "./cors";
import { IDENTITY_PLUGIN, KEY_GUARD_PLUGIN, renderIdentityPluginConf } from "./plugin";
import { RATE_LIMIT_PLUGIN, renderRateLimitConf } from "./rate-limits";
import { methodsIdPart, routeId } from "./route-ids";
import { upstreamId } from "./upstreams";

export interface ApisixRoute {
  id: string;
  uri: string;
  methods?: HttpMethod[];
  hosts?: string[];
  priority?: number;
  vars?: unknown[];
  /**
   * `access`: protected (authenticated), public (the spec says so), or gateway
   * (answered by the gateway itself). `refusal`: the decision log's reason for
   * a route that refuses at the gateway. `session`: a browser-app route.
   * `override`: the service opted in to method overrides (gateway-request-guard
   * lets them through). `sign_in`: an app's sign-in callback (the guard checks
   * that a sign-in is in progress).
   */
  labels?: { access: RouteAccessLabel; refusal?: string; session?: "true"; override?: "allowed"; sign_in?: "callback" };
  upstream_id?: string;
  plugins?: Record<string, unknown>;
}

export type RouteAccessLabel = "protected" | "public" | "gateway";

/** Status for a method no rule lists: the route exists, the method does not. */
export const METHOD_NOT_ALLOWED = 405;

/** Routes that answer at the gateway sit below the method routes for the same uri. */
const FALLBACK_PRIORITY = -1;
/** Client-certificate guards sit above everything for the same uri. */
const GUARD_PRIORITY = 10;

const answer = (status: number, error: string, headers?: Record<string, string>) => ({
  mocking: {
    response_status: status,
    response_example: JSON.stringify({ error }),
    content_type: "application/json",
    with_mock_header: false,
    ...(headers ? { response_headers: headers } : {}),
  },
});

/** A route above every other for the spec route's path, answering at the gateway when `vars` match. */
function guard(x: LocatedRoute, suffix: string, hosts: { hosts?: string[] }, vars: unknown[], status: number, error: string): ApisixRoute {
  const match = apisixRouteMatch(x.route.path);
  return {
    id: routeId(x, suffix),
    uri: match.uri,
    ...hosts,
    priority: GUARD_PRIORITY,
    vars: [...(match.vars ?? []), ...vars],
    labels: { access: "gateway", refusal: error },
    plugins: answer(status, error),
  };
}

/**
 * For a host that requires client certificates: refuse any request to it whose
 * connection did not present a verified one. This also covers plain http and
 * a TLS connection made with another host's SNI but this Host header.
 */
function clientCertificateGuards(spec: AccessSpec, x: LocatedRoute): ApisixRoute[] {
  return spec.gateway.clientCertificateHosts.map((h, i) =>
    guard(x, `client-cert${i}`, { hosts: [h.host] }, [["ssl_client_verify", "~=", "SUCCESS"]], 403, "client_certificate_required"),
  );
}

/**
 * Browser apps: openid-connect remembers the raw request URI and returns there
 * after sign-in. `//evil.example/x%2F..%2F..%2Fapp/...` is routed as an app page
 * (nginx normalises the path) but, sent back as a Location, leaves the app's
 * origin. A request URI browsers would read as another host (`//`, `/\`, or
 * their percent-encodings) is refused before openid-connect sees it.
 */
function returnAddressGuard(x: LocatedRoute, app: BrowserAppSpec | undefined): ApisixRoute[] {
  if (!app) return [];
  // real_request_uri: APISIX replaces request_uri with the normalised path; openid-connect stores the raw one.
  return [guard(x, "return-address", { hosts: [app.host] }, [["real_request_uri", "~~", "^/(/|\\\\|%2[fF]|%5[cC])"]], 400, "unsafe_request_uri")];
}

/** Method overrides are refused and their headers removed by gateway-request-guard, unless the service opted in. */
const overrideLabel = (x: LocatedRoute) => (x.service.allowMethodOverride ? { override: "allowed" as const } : {});

/**
 * The gateway's own routes for a browser app: the sign-in callback and logout,
 * both handled (and answered) by openid-connect. Logout is a POST from the
 * app's own origin: a link or an image on another site cannot end a session
 * (403 for another Origin, 405 for other methods).
 */
function appRoutes(spec: AccessSpec, endpoints: IdentityEndpoints, app: BrowserAppSpec): ApisixRoute[] {
  const conf = renderSessionOpenidConnectConf(spec, endpoints, app, "auth");
  const id = (suffix: string) => `app-${app.name}.${suffix}`.slice(0, 64);
  const labels = (refusal?: string) => ({ labels: { access: "gateway" as const, session: "true" as const, ...(refusal ? { refusal } : {}) } });
  const logout = { uri: appLogoutPath(app), hosts: [app.host] };
  const callback = { uri: appCallbackPath(app), hosts: [app.host], methods: ["GET" as const] };
  const unavailable = { "response-rewrite": renderSignInUnavailableConf(app) };
  return [
    // gateway-request-guard answers 400 no_sign_in_in_progress unless the session this browser holds issued the state (openid-connect would answer 500).
    { id: id("callback"), ...callback, labels: { ...labels().labels, sign_in: "callback" }, plugins: { "openid-connect": conf, ...unavailable } },
    { id: id("logout"), ...logout, ...labels(), methods: ["POST"], plugins: { "openid-connect": conf, ...unavailable } },
    {
      id: id("logout-cross-site"),
      ...logout,
      ...labels("cross_site_request"),
      methods: ["POST"],
      priority: GUARD_PRIORITY,
      vars: [["http_origin", "~=", app.origin]],
      plugins: answer(403, "cross_site_request"),
    },
    {
      id: id("logout-other-methods"),
      ...logout,
      ...labels("method_not_allowed"),
      priority: FALLBACK_PRIORITY,
      plugins: answer(METHOD_NOT_ALLOWED, "method_not_allowed", { Allow: "POST" }),
    },
  ];
}

/**
 * The APISIX routes for a spec. Per spec route:
 *   - guards above everything for its path: client certificates per host
 *     and (browser apps) request URIs that leave the origin (method overrides,
 *     dot-segment path parameters and stray credentials are the global
 *     gateway-request-guard's, see `renderHeaderStrippingRule`);
 *   - one route per rule (its methods): gateway-key-guard (bearer), openid-connect,
 *     then the identity plugin, which allows the rule's roles only, then the
 *     rule's rate limit per verified caller; or, for a public route, one route
 *     for its methods with no authentication (limited per client address);
 *   - with browser clients, a preflight (OPTIONS) route answered by cors;
 *   - a fallback below them for every other method, answering 405 at the
 *     gateway (the upstream is never reached).
 * Identity headers are stripped from every request by the global rule
 * (see `renderHeaderStrippingRule`), public routes included.
 */
export function renderApisixRoutes(spec: AccessSpec, endpoints: IdentityEndpoints): ApisixRoute[] {
  const allHosts = spec.gateway.hostnames.length > 0 ? { hosts: [...spec.gateway.hostnames] } : {};
  const bearer = renderOpenidConnectConf(spec, endpoints);
  const cors = corsEnabled(spec);

  const specRoutes = allRoutes(spec).flatMap((x) => {
    const allowed = routeMethods(x.route);
    // Routes of a browser app answer on the app's host and authenticate with its session.
    const app = appOfRoute(spec, x.route);
    const hosts = app ? { hosts: [app.host] } : allHosts;
    const oidc = app ? renderSessionOpenidConnectConf(spec, endpoints, app, isAppApiRoute(app, x.route) ? "deny" : "auth") : bearer;
    const claimsSource = app ? "access_token" : "userinfo";
    // Bearer tokens come from callers: bound the JWKS refetches their unknown keys cause. (A session's token is the gateway's own.)
    const keyGuard = app ? {} : { [KEY_GUARD_PLUGIN]: renderKeyGuardConf(spec, endpoints) };
    const unavailable = app ? { "response-rewrite": renderSignInUnavailableConf(app) } : {};
    const base = { ...apisixRouteMatch(x.route.path), ...hosts };
    const corsPlugin = (methods: HttpMethod[]) => (cors ? { cors: renderCorsConf(spec, methods) } : {});
    const upstream = { upstream_id: upstreamId(x.service) };

    const session = app ? { session: "true" as const } : {};
    const limited = (id: string, rule?: AccessRuleSpec) => {
      const limit = effectiveRateLimit(spec, x.route, rule);
      return limit ? { [RATE_LIMIT_PLUGIN]: renderRateLimitConf(spec, limit, rule ? "verified-caller" : "client-address", id) } : {};
    };

    const served: ApisixRoute[] = x.route.public
      ? [
          {
            id: routeId(x, "public"),
            ...base,
            methods: [...x.route.methods],
            ...upstream,
            labels: { access: "public", ...overrideLabel(x) },
            plugins: { ...corsPlugin(allowed), ...limited(routeId(x, "public")) },
          },
        ]
      : x.route.rules.map((rule) => ({
          id: routeId(x, methodsIdPart(rule.methods)),
          ...base,
          methods: [...rule.methods],
          ...upstream,
          labels: { access: "protected", ...session, ...overrideLabel(x) },
          plugins: {
            ...corsPlugin(allowed),
            ...keyGuard,
            "openid-connect": oidc,
            [IDENTITY_PLUGIN]: renderIdentityPluginConf(spec, { ...rule, routePath: x.route.path }, claimsSource, x.service, app),
            ...unavailable,
            ...limited(routeId(x, methodsIdPart(rule.methods)), rule),
          },
        }));

    const preflight: ApisixRoute[] = cors
      ? [{ id: routeId(x, "preflight"), ...base, methods: ["OPTIONS"], labels: { access: "gateway" }, plugins: corsPlugin(allowed) }]
      : [];

    // No `methods`: it also catches methods the spec cannot name (TRACE, CONNECT, ...).
    const fallback: ApisixRoute = {
      id: routeId(x, "other-methods"),
      ...base,
      priority: FALLBACK_PRIORITY,
      labels: { access: "gateway", refusal: "method_not_allowed" },
      plugins: answer(METHOD_NOT_ALLOWED, "method_not_allowed", { Allow: allowed.join(", ") }),
    };
    return [...clientCertificateGuards(spec, x), ...returnAddressGuard(x, app), ...served, ...preflight, fallback];
  });
  return [...spec.apps.flatMap((a) => appRoutes(spec, endpoints, a)), ...specRoutes];
}
