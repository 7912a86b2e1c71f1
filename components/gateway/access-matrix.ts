import {
  allRoutes,
  appOfRoute,
  corsEnabled,
  effectiveRateLimit,
  formatDuration,
  isAppApiRoute,
  methodAccess,
  ruleFor,
  tenantSegmentIndex,
  type AccessSpec,
  type HttpMethod,
  type RateLimitSpec,
  type RouteSpec,
} from "../access-spec";
import { METHOD_NOT_ALLOWED } from "./routes";

/**
 * Who a matrix column is about: nobody; a token with no declared role; a
 * token holding exactly one role (and every API scope, and the tenant a
 * tenant-bound path names); and, where the spec uses them, a token holding
 * every role but no API scope (`no-scope`), every role and scope but calling
 * another tenant's path (`other-tenant`), or naming no tenant (`no-tenant`).
 */
export type Caller =
  { kind: "anonymous" } | { kind: "no-role" } | { kind: "role"; role: string } | { kind: "no-scope" } | { kind: "other-tenant" } | { kind: "no-tenant" };

/**
 * What the gateway does: pass to the upstream (within the caller's rate
 * limit, if one applies), or answer with a status itself (302: redirect to
 * sign-in) for the decision log's `reason`.
 */
export type Outcome = { allow: true; rateLimit?: RateLimitSpec } | { allow: false; status: 302 | 401 | 403 | 405; reason: RefusalReason };

export interface AccessMatrixEntry {
  service: string;
  path: string;
  method: HttpMethod;
  caller: Caller;
  outcome: Outcome;
}

/**
 * Every refusal, by the decision log's `reason` (a closed set): its status,
 * what the caller reads (body `error`, or the challenge), and when it happens.
 */
export const REFUSALS = [
  { reason: "missing_token", status: 401, says: "challenge `Bearer realm=...`", when: "a protected bearer route without `Authorization: Bearer`" },
  {
    reason: "invalid_token",
    status: 401,
    says: "`invalid_token`",
    when: "bad signature, unknown or retired key, `alg` other than RS256, a malformed JWT, `crit`, no `exp` or `iat`, `nbf` or `iat` in the future, a lifetime longer than the realm issues",
  },
  { reason: "expired_token", status: 401, says: "`invalid_token`", when: "`exp` has passed" },
  { reason: "wrong_issuer", status: 401, says: "`invalid_token`", when: "a token of another realm or issuer" },
  { reason: "wrong_audience", status: 401, says: "`invalid_token`", when: "a token that does not name the gateway's client in `aud`" },
  { reason: "role_missing", status: 403, says: "`forbidden`", when: "a valid token without one of the rule's roles" },
  {
    reason: "scope_missing",
    status: 403,
    says: '`insufficient_scope`, challenge `Bearer realm=..., error="insufficient_scope", scope="..."`',
    when: "a valid token with a rule's role but not every one of its scopes (in its `scope` claim)",
  },
  {
    reason: "tenant_mismatch",
    status: 403,
    says: "`tenant_mismatch`",
    when: "a tenant-bound path (`{tenant}`) naming another tenant than the token's, or naming it in another spelling (percent-encoded, other case, shifted by `//` or dot segments)",
  },
  { reason: "tenant_missing", status: 403, says: "`tenant_mismatch`", when: "a tenant-bound path and a token without a tenant claim" },
  {
    reason: "method_not_allowed",
    status: 405,
    says: "`method_not_allowed`",
    when: "a method the route does not offer (`Allow` lists those it does); logout by anything but POST",
  },
  { reason: "rate_limited", status: 429, says: "`rate_limited`, `Retry-After`", when: "a caller over the route's (or rule's) limit in the current window" },
  { reason: "session_required", status: 302, says: "redirect to the realm's login", when: "a browser-app page without a session (an API path: 401)" },
  { reason: "cross_site_request", status: 403, says: "`cross_site_request`", when: "an unsafe method on a browser-app route, or logout, from another origin" },
  {
    reason: "method_override_refused",
    status: 400,
    says: "`method_override_refused`",
    when: "a method override in the query string or a form/JSON body, in any spelling a framework decodes, unless the service sets allowMethodOverride",
  },
  { reason: "unsafe_path", status: 400, says: "`unsafe_path`", when: "a path segment that is `.` or `..` before a `;` parameter (`/a/..;/b`)" },
  {
    reason: "unsafe_request_uri",
    status: 400,
    says: "`unsafe_request_uri`",
    when: "a browser-app request URI a browser would read as another host (`//`, `/\\`)",
  },
  { reason: "no_sign_in_in_progress", status: 400, says: "`no_sign_in_in_progress`", when: "a sign-in callback without a session that issued its `state`" },
  {
    reason: "client_certificate_required",
    status: 403,
    says: "`client_certificate_required`",
    when: "a client-certificate host without a verified certificate",
  },
  { reason: "no_route", status: 404, says: "APISIX's `404 Route Not Found`", when: "a host or path no route serves" },
  {
    reason: "gateway_error",
    status: 500,
    says: "`failed to limit count`",
    when: "the rate-limit store is unreachable and `whenUnavailable` is deny (the default)",
  },
] as const;

export type RefusalReason = (typeof REFUSALS)[number]["reason"];

/** Methods the matrix covers. OPTIONS is CORS preflight when browser clients exist, so it is listed only without them. */
export function matrixMethods(spec: AccessSpec): HttpMethod[] {
  const methods: HttpMethod[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
  return corsEnabled(spec) ? methods : [...methods, "OPTIONS"];
}

/** Whether any rule requires a scope / any route binds a tenant: the matrix then has the columns that show it. */
const usesScopes = (spec: AccessSpec) => allRoutes(spec).some((x) => x.route.rules.some((r) => r.scopes.length > 0));
const bindsTenants = (spec: AccessSpec) => allRoutes(spec).some((x) => tenantSegmentIndex(x.route.path) !== undefined);

export function matrixCallers(spec: AccessSpec): Caller[] {
  return [
    { kind: "anonymous" },
    { kind: "no-role" },
    ...spec.realm.roles.map((r) => ({ kind: "role" as const, role: r.name })),
    ...(usesScopes(spec) ? [{ kind: "no-scope" as const }] : []),
    ...(bindsTenants(spec) ? [{ kind: "other-tenant" as const }, { kind: "no-tenant" as const }] : []),
  ];
}

const CALLER_LABELS = {
  anonymous: "(anonymous)",
  "no-role": "(no role)",
  "no-scope": "(no scope)",
  "other-tenant": "(other tenant)",
  "no-tenant": "(no tenant)",
} as const;

export function callerLabel(c: Caller): string {
  return c.kind === "role" ? c.role : CALLER_LABELS[c.kind];
}

/** A verified caller on a protected rule: the role check, then scopes, then the tenant (the identity plugin's order). */
function verifiedOutcome(
  caller: Exclude<Caller, { kind: "anonymous" }>,
  access: { roles: string[]; scopes: string[] },
  route: RouteSpec,
  allowed: Outcome,
): Outcome {
  if (caller.kind === "no-role" || (caller.kind === "role" && !access.roles.includes(caller.role)))
    return { allow: false, status: 403, reason: "role_missing" };
  if (caller.kind === "no-scope" && access.scopes.length > 0) return { allow: false, status: 403, reason: "scope_missing" };
  if (tenantSegmentIndex(route.path) !== undefined) {
    if (caller.kind === "other-tenant") return { allow: false, status: 403, reason: "tenant_mismatch" };
    if (caller.kind === "no-tenant") return { allow: false, status: 403, reason: "tenant_missing" };
  }
  return allowed;
}

/** Bearer routes and an app's API routes answer 401; an app's pages send the browser to sign in. */
function unauthenticatedStatus(spec: AccessSpec, route: RouteSpec): 302 | 401 {
  const app = appOfRoute(spec, route);
  return app && !isAppApiRoute(app, route) ? 302 : 401;
}

/**
 * role x route x method -> allow / 401 / 403 / 405, from the spec alone. The
 * same table the gateway's rules are rendered from is what the integration
 * suite checks the real gateway against.
 */
export function renderAccessMatrix(spec: AccessSpec): AccessMatrixEntry[] {
  const callers = matrixCallers(spec);
  return allRoutes(spec).flatMap(({ service, route }) =>
    matrixMethods(spec).flatMap((method) => {
      const access = methodAccess(route, method);
      return callers.map((caller): AccessMatrixEntry => {
        let outcome: Outcome;
        const limit = effectiveRateLimit(spec, route, ruleFor(route, method));
        const allowed: Outcome = limit ? { allow: true, rateLimit: limit } : { allow: true };
        if (access.kind === "denied") outcome = { allow: false, status: METHOD_NOT_ALLOWED, reason: "method_not_allowed" };
        else if (access.kind === "public") outcome = allowed;
        else if (caller.kind === "anonymous") {
          const status = unauthenticatedStatus(spec, route);
          outcome = { allow: false, status, reason: status === 302 || appOfRoute(spec, route) ? "session_required" : "missing_token" };
        } else outcome = verifiedOutcome(caller, access, route, allowed);
        return { service: service.name, path: route.path, method, caller, outcome };
      });
    }),
  );
}

/** The matrix as Markdown: one row per route and set of methods treated alike, one column per caller. */
export function renderAccessMatrixMarkdown(spec: AccessSpec): string {
  const callers = matrixCallers(spec);
  const entries = renderAccessMatrix(spec);
  const cell = (o: Outcome) => (o.allow ? "allow" : `${o.status} ${o.reason}`);
  const lines = [
    `# Access matrix (${spec.environment})`,
    "",
    "What the gateway does per route, method and caller: `allow` passes the request to the service with identity headers;",
    "a refusal shows its status and the decision log's reason (see Refusals). A role column's caller holds that role,",
    "every API scope, and (on a `{tenant}` path) the tenant the path names.",
    usesScopes(spec) ? "(no scope): a token holding every role but no API scope." : "",
    bindsTenants(spec) ? "(other tenant): every role and scope, on another tenant's path. (no tenant): every role and scope, no tenant claim." : "",
    corsEnabled(spec) ? "OPTIONS is CORS preflight, answered by the gateway for every route without a token." : "",
    "",
    `| service | path | method | ${callers.map(callerLabel).join(" | ")} |`,
    `|---|---|---|${callers.map(() => "---").join("|")}|`,
  ];
  // Methods of one route that every caller gets alike share a row ("GET, HEAD"; the 405s): a review reads what differs.
  const rows: Array<{ service: string; path: string; methods: string[]; cells: string }> = [];
  for (let i = 0; i < entries.length; i += callers.length) {
    const row = entries.slice(i, i + callers.length);
    const cells = row.map((e) => cell(e.outcome)).join(" | ");
    const same = rows.find((r) => r.service === row[0].service && r.path === row[0].path && r.cells === cells);
    if (same) same.methods.push(row[0].method);
    else rows.push({ service: row[0].service, path: row[0].path, methods: [row[0].method], cells });
  }
  for (const r of rows) lines.push(`| ${r.service} | \`${r.path}\` | ${r.methods.join(", ")} | ${r.cells} |`);
  lines.push("", ...rateLimitLines(spec));
  lines.push(
    "",
    "## Refusals",
    "",
    "Every refusal by the decision log's reason, with what the caller reads (never the library's message):",
    "",
    "| reason | status | caller reads | when |",
    "|---|---|---|---|",
  );
  for (const r of REFUSALS) lines.push(`| ${r.reason} | ${r.status} | ${r.says} | ${r.when} |`);
  return lines.filter((l, i, all) => !(l === "" && all[i - 1] === "")).join("\n") + "\n";
}

const perWindow = (l: RateLimitSpec) => `${l.requests} per ${formatDuration(l.windowSeconds)}`;

/** The matrix document's rate-limit section: which route and methods, how many per window, per whom. */
function rateLimitLines(spec: AccessSpec): string[] {
  const { store, headers } = spec.gateway.rateLimits;
  const rows = allRoutes(spec).flatMap(({ service, route }) =>
    (route.public
      ? [{ methods: route.methods, limit: effectiveRateLimit(spec, route), per: "client address" }]
      : route.rules.map((rule) => ({ methods: rule.methods, limit: effectiveRateLimit(spec, route, rule), per: "caller (user, or service account's client)" }))
    )
      .filter((r) => r.limit)
      .map((r) => `| ${service.name} | \`${route.path}\` | ${r.methods.join(", ")} | ${perWindow(r.limit!)} | ${r.per} |`),
  );
  if (rows.length === 0) return ["## Rate limits", "", "None: no route or default sets a limit."];
  const shared =
    store.type === "local"
      ? `local to each replica (${spec.gateway.replicas}): each allows the whole limit`
      : `${store.type} (${store.addresses.join(", ")}), shared by every replica; while unreachable: ${store.whenUnavailable}`;
  return [
    "## Rate limits",
    "",
    `Over a limit: 429 \`rate_limited\` with Retry-After${headers ? " (and X-RateLimit-Limit/-Remaining/-Reset on every limited response)" : ""}. Counters: ${shared}.`,
    "",
    "| service | path | methods | limit | per |",
    "|---|---|---|---|---|",
    ...rows,
  ];
}
