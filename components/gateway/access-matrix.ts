import { allRoutes, appOfRoute, corsEnabled, isAppApiRoute, methodAccess, type AccessSpec, type HttpMethod, type RouteSpec } from "../spec";
import { METHOD_NOT_ALLOWED } from "./routes";

/** Who a matrix row is about: nobody, a token with no declared role, or a token holding exactly one role. */
export type Caller = { kind: "anonymous" } | { kind: "no-role" } | { kind: "role"; role: string };

/** What the gateway does: pass to the upstream, or answer with a status itself (302: redirect to sign-in). */
export type Outcome = { allow: true } | { allow: false; status: 302 | 401 | 403 | 405 };

export interface AccessMatrixEntry {
  service: string;
  path: string;
  method: HttpMethod;
  caller: Caller;
  outcome: Outcome;
}

/** Every refusal the gateway answers itself: a stable reason, its status, and when it happens. */
export const REFUSALS: ReadonlyArray<{ reason: string; status: number; when: string }> = [
  { reason: "(no token)", status: 401, when: "a protected bearer route without `Authorization: Bearer` (challenge `Bearer realm=...`)" },
  { reason: "invalid_token", status: 401, when: "bad signature, expired, wrong issuer, wrong audience, no `exp`, `nbf` in the future, `alg` other than RS256, an unknown key beyond the refetch budget" },
  { reason: "forbidden", status: 403, when: "a valid token without one of the rule's roles" },
  { reason: "method_not_allowed", status: 405, when: "a method the route does not offer (`Allow` lists those it does); logout by anything but POST" },
  { reason: "method_override_refused", status: 400, when: "a `_method` argument, unless the service sets allowMethodOverride" },
  { reason: "(sign-in)", status: 302, when: "a browser-app page without a session: redirect to the realm's login" },
  { reason: "(no session)", status: 401, when: "a browser-app API path (apiPathPrefixes) without a session" },
  { reason: "cross_site_request", status: 403, when: "an unsafe method on a browser-app route, or logout, from another origin" },
  { reason: "unsafe_request_uri", status: 400, when: "a browser-app request URI a browser would read as another host (`//`, `/\\`)" },
  { reason: "no_sign_in_in_progress", status: 400, when: "the sign-in callback without a session cookie" },
  { reason: "client_certificate_required", status: 403, when: "a client-certificate host without a verified certificate" },
];

/** Methods the matrix covers. OPTIONS is CORS preflight when browser clients exist, so it is listed only without them. */
export function matrixMethods(spec: AccessSpec): HttpMethod[] {
  const methods: HttpMethod[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
  return corsEnabled(spec) ? methods : [...methods, "OPTIONS"];
}

export function matrixCallers(spec: AccessSpec): Caller[] {
  return [{ kind: "anonymous" }, { kind: "no-role" }, ...spec.realm.roles.map((r) => ({ kind: "role" as const, role: r.name }))];
}

export function callerLabel(c: Caller): string {
  return c.kind === "role" ? c.role : c.kind === "anonymous" ? "(anonymous)" : "(no role)";
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
        if (access.kind === "denied") outcome = { allow: false, status: METHOD_NOT_ALLOWED };
        else if (access.kind === "public") outcome = { allow: true };
        else if (caller.kind === "anonymous") outcome = { allow: false, status: unauthenticatedStatus(spec, route) };
        else outcome = caller.kind === "role" && access.roles.includes(caller.role) ? { allow: true } : { allow: false, status: 403 };
        return { service: service.name, path: route.path, method, caller, outcome };
      });
    }),
  );
}

/** The matrix as Markdown: one row per route and method, one column per caller. */
export function renderAccessMatrixMarkdown(spec: AccessSpec): string {
  const callers = matrixCallers(spec);
  const entries = renderAccessMatrix(spec);
  const cell = (o: Outcome) => (o.allow ? "allow" : String(o.status));
  const lines = [
    `# Access matrix (${spec.environment})`,
    "",
    "What the gateway does per route, method and caller: `allow` passes the request to the service with identity headers;",
    "401 no or invalid token; 302 redirect to sign-in (browser app pages); 403 token without a permitted role; 405 method the route does not offer (answered by the gateway).",
    corsEnabled(spec) ? "OPTIONS is CORS preflight, answered by the gateway for every route without a token." : "",
    "",
    `| service | path | method | ${callers.map(callerLabel).join(" | ")} |`,
    `|---|---|---|${callers.map(() => "---").join("|")}|`,
  ];
  for (let i = 0; i < entries.length; i += callers.length) {
    const row = entries.slice(i, i + callers.length);
    lines.push(`| ${row[0].service} | \`${row[0].path}\` | ${row[0].method} | ${row.map((e) => cell(e.outcome)).join(" | ")} |`);
  }
  lines.push("", "## Refusals", "", "What a refused caller gets (the `error` in the body or challenge is the reason; never the library's message):", "", "| reason | status | when |", "|---|---|---|");
  for (const r of REFUSALS) lines.push(`| ${r.reason} | ${r.status} | ${r.when} |`);
  return lines.filter((l, i, all) => !(l === "" && all[i - 1] === "")).join("\n") + "\n";
}
