import type { AccessRuleSpec, AccessSpec, BrowserAppSpec, HttpMethod, RouteSpec, ServiceSpec } from "./types";

/**
 * Route paths: an exact path (`/api/orders`) or a prefix (`/api/orders/*`,
 * which APISIX matches for `/api/orders/` followed by anything). Segments are
 * plain: no `..`, no empty segment, no percent-encoding, no other wildcard, so
 * what the spec says is what the gateway matches. One segment may be
 * `{tenant}` (TENANT_SEGMENT): any one segment, bound to the token's tenant.
 */
export const ROUTE_PATH = /^(\/([A-Za-z0-9._~-]+|\{tenant\}))+(\/\*)?$|^\/\*$/;
export const TENANT_SEGMENT = "{tenant}";

export function isPrefixPath(path: string): boolean {
  return path.endsWith("/*");
}

/** The literal part a prefix path requires: `/api/orders/*` -> `/api/orders/`. */
function prefixOf(path: string): string {
  return path.slice(0, -1);
}

function hasDotSegment(path: string): boolean {
  return path.split("/").some((s) => s === "." || s === "..");
}

export function isValidRoutePath(path: string): boolean {
  return ROUTE_PATH.test(path) && !hasDotSegment(path) && path.split(TENANT_SEGMENT).length <= 2;
}

/** The 1-based position of the `{tenant}` segment (`/api/tenants/{tenant}/orders/*` -> 3), if the path has one. */
export function tenantSegmentIndex(path: string): number | undefined {
  const i = path.split("/").indexOf(TENANT_SEGMENT);
  return i > 0 ? i : undefined;
}

/**
 * How APISIX matches a route path. APISIX's default routers turn radixtree's
 * `:param` matching off, so a `{tenant}` path is served by a prefix route up
 * to the template (`/api/tenants/*`) with a `vars` condition on the
 * normalised path requiring the whole shape, the template one non-empty
 * segment: `/api/tenants/{tenant}/orders/*` -> `^/api/tenants/[^/]+/orders/.*$`.
 */
export function apisixRouteMatch(path: string): { uri: string; vars?: unknown[] } {
  if (!path.includes(TENANT_SEGMENT)) return { uri: path };
  const { segments, prefix } = segmentsOf(path);
  const literal = (s: string) => s.replace(/[.~-]/g, (c) => `\\${c}`);
  const shape = segments.map((s) => (s === TENANT_SEGMENT ? "[^/]+" : literal(s))).join("/");
  return { uri: `${path.slice(0, path.indexOf(TENANT_SEGMENT))}*`, vars: [["uri", "~~", `^/${shape}${prefix ? "/.*" : ""}$`]] };
}

/** A path's segments before any `/*`, and whether it is a prefix. */
function segmentsOf(path: string): { segments: string[]; prefix: boolean } {
  const prefix = isPrefixPath(path);
  const literal = prefix ? path.slice(0, -2) : path;
  return { segments: literal.split("/").slice(1), prefix };
}

const segmentsCompatible = (a: string, b: string) => a === b || a === TENANT_SEGMENT || b === TENANT_SEGMENT;

/** Whether a request path is matched by a route path (`{tenant}`: any one non-empty segment). */
export function routeMatches(routePath: string, requestPath: string): boolean {
  if (!routePath.includes(TENANT_SEGMENT)) return isPrefixPath(routePath) ? requestPath.startsWith(prefixOf(routePath)) : routePath === requestPath;
  const route = segmentsOf(routePath);
  const request = requestPath.split("/").slice(1);
  const n = route.segments.length;
  if (route.prefix ? request.length <= n : request.length !== n) return false;
  return route.segments.every((s, i) => (s === TENANT_SEGMENT ? request[i] !== "" : s === request[i]));
}

/**
 * The pairs [i, j] (i < j, in order) of paths some request path matches both
 * of: equal paths, or a prefix path whose literal begins the other's. Found by
 * looking up each path's `/`-ended beginnings among the prefix routes'
 * literals, not by comparing every pair: 10,000 routes are 50 million pairs.
 * Tenant-bound paths (few) are compared with every path, segment by segment.
 */
export function overlappingPathPairs(paths: readonly string[]): Array<[number, number]> {
  const literal = (p: string) => (isPrefixPath(p) ? prefixOf(p) : p);
  const byPrefix = new Map<string, number[]>();
  const byExact = new Map<string, number[]>();
  const templated: number[] = [];
  paths.forEach((p, i) => {
    if (p.includes(TENANT_SEGMENT)) return void templated.push(i);
    const index = isPrefixPath(p) ? byPrefix : byExact;
    const key = isPrefixPath(p) ? prefixOf(p) : p;
    index.set(key, [...(index.get(key) ?? []), i]);
  });
  const pairs = new Set<string>();
  const add = (i: number, j: number) => i !== j && pairs.add(i < j ? `${i},${j}` : `${j},${i}`);
  paths.forEach((p, j) => {
    if (p.includes(TENANT_SEGMENT)) return;
    for (const i of byExact.get(p) ?? []) add(i, j);
    const text = literal(p);
    for (let k = text.indexOf("/"); k >= 0; k = text.indexOf("/", k + 1)) {
      for (const i of byPrefix.get(text.slice(0, k + 1)) ?? []) add(i, j);
    }
  });
  for (const i of templated) paths.forEach((p, j) => routesOverlap(paths[i], p) && add(i, j));
  return [...pairs].map((k) => k.split(",").map(Number) as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Whether some request path is matched by both routes. */
export function routesOverlap(a: string, b: string): boolean {
  const x = segmentsOf(a);
  const y = segmentsOf(b);
  const [n, m] = [x.segments.length, y.segments.length];
  const common = (k: number) => x.segments.slice(0, k).every((s, i) => segmentsCompatible(s, y.segments[i]));
  if (x.prefix && y.prefix) return common(Math.min(n, m));
  // A prefix matches paths with at least one segment after its literal.
  if (x.prefix) return m > n && common(n);
  if (y.prefix) return n > m && common(m);
  return n === m && common(n);
}

/** Who may use a method on a route: anyone, callers holding one of some roles, or nobody. */
export type MethodAccess = { kind: "public" } | { kind: "roles"; roles: string[]; scopes: string[] } | { kind: "denied" };

/** The rule of a protected route that lists a method (none for public routes and unlisted methods). */
export function ruleFor(route: RouteSpec, method: HttpMethod): AccessRuleSpec | undefined {
  return route.rules.find((r) => r.methods.includes(method));
}

export function methodAccess(route: RouteSpec, method: HttpMethod): MethodAccess {
  if (route.public) return route.methods.includes(method) ? { kind: "public" } : { kind: "denied" };
  const rule = ruleFor(route, method);
  return rule ? { kind: "roles", roles: [...rule.roles].sort(), scopes: [...rule.scopes].sort() } : { kind: "denied" };
}

/** Every method a route lets through for somebody. */
export function routeMethods(route: RouteSpec): HttpMethod[] {
  return route.public ? route.methods : route.rules.flatMap((r) => r.methods);
}

export function sameAccess(a: RouteSpec, b: RouteSpec, methods: readonly HttpMethod[]): boolean {
  return methods.every((m) => JSON.stringify(methodAccess(a, m)) === JSON.stringify(methodAccess(b, m)));
}

export interface LocatedRoute {
  service: ServiceSpec;
  route: RouteSpec;
  serviceIndex: number;
  routeIndex: number;
}

export function allRoutes(spec: Pick<AccessSpec, "services">): LocatedRoute[] {
  return spec.services.flatMap((service, serviceIndex) => service.routes.map((route, routeIndex) => ({ service, route, serviceIndex, routeIndex })));
}

/** Browser origins allowed to call the gateway (CORS), from every browser client. */
export function corsOrigins(spec: Pick<AccessSpec, "clients">): string[] {
  return [...new Set(spec.clients.browser.flatMap((c) => c.webOrigins))].sort();
}

export function corsEnabled(spec: Pick<AccessSpec, "clients">): boolean {
  return corsOrigins(spec).length > 0;
}

/** A service's in-cluster DNS name, which the gateway calls and its certificate names. */
export function serviceHost(service: Pick<ServiceSpec, "name" | "namespace">): string {
  return `${service.name}.${service.namespace}.svc.cluster.local`;
}

/** Every name a client in the cluster may use for a service (its certificate's SANs). */
export function serviceDnsNames(service: Pick<ServiceSpec, "name" | "namespace">): string[] {
  const { name, namespace } = service;
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, serviceHost(service)];
}

/** The literal part every request path a route matches starts with (up to a `{tenant}` segment). */
export function routeLiteral(path: string): string {
  const template = path.indexOf(TENANT_SEGMENT);
  if (template >= 0) return path.slice(0, template);
  return isPrefixPath(path) ? prefixOf(path) : path;
}

/** The browser app whose path prefix covers a route, if any: its routes use the app's session. */
export function appOfRoute(spec: Pick<AccessSpec, "apps">, route: Pick<RouteSpec, "path">): BrowserAppSpec | undefined {
  return spec.apps.find((a) => routeLiteral(route.path).startsWith(`${a.pathPrefix}/`));
}

/** Paths the gateway itself serves for a browser app. */
export function appCallbackPath(app: Pick<BrowserAppSpec, "pathPrefix">): string {
  return `${app.pathPrefix}/callback`;
}

export function appLogoutPath(app: Pick<BrowserAppSpec, "pathPrefix">): string {
  return `${app.pathPrefix}/logout`;
}

/** Whether an app route answers unauthenticated calls with 401 (API) rather than a redirect to sign-in (page). */
export function isAppApiRoute(app: BrowserAppSpec, route: Pick<RouteSpec, "path">): boolean {
  return app.apiPathPrefixes.some((p) => routeLiteral(route.path).startsWith(p));
}

/**
 * The longest access-token lifetime (exp - iat) the realm can issue: the
 * realm's lifespan, or a browser app client's own when longer. The gateway
 * refuses bearer tokens that claim more (a stolen key's forgeries, say).
 */
export function longestAccessTokenLifespan(spec: Pick<AccessSpec, "realm" | "apps">): number {
  return Math.max(spec.realm.tokens.accessTokenLifespan, ...spec.apps.map((a) => a.accessTokenLifespan ?? 0));
}
