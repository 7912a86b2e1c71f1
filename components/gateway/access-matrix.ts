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
  return lines.filter((l, i, all) => !(l === "" && all[i - 1] === "")).join("\n") + "\n";
}
