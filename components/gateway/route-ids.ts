import { createHash } from "node:crypto";
import { TENANT_SEGMENT, type HttpMethod, type LocatedRoute } from "../access-spec";

/** APISIX's limit on an id, and the characters it allows. */
const MAX_ID = 64;

/**
 * A route path as an id part, from the path alone, so adding, removing or
 * reordering other routes never renames this one (its rate-limit counters,
 * decision-log lines and metrics keep their name). Segments are joined with
 * `_`, `*` reads `all` and `{tenant}` reads `tenant`: `/api/tenants/{tenant}/
 * orders/*` -> `api_tenants_tenant_orders_all`. Where that could read two
 * paths alike (a segment that is literally `all` or `tenant`, or holds `_`
 * or `~`), or is longer than `room`, a short hash of the exact path follows.
 */
export function pathIdPart(path: string, room: number): string {
  const segments = path.split("/").slice(1);
  const readable = segments.map((s) => (s === "*" ? "all" : s === TENANT_SEGMENT ? "tenant" : s.replace(/~/g, ""))).join("_");
  const ambiguous = segments.some((s) => s === "all" || s === "tenant" || /[_~]/.test(s));
  if (!ambiguous && readable.length <= room) return readable;
  const hash = createHash("sha256").update(path).digest("hex").slice(0, 8);
  return `${readable.slice(0, Math.max(0, room - hash.length - 1))}-${hash}`;
}

/** A rule's methods as an id part: rules of one route never share a method, so this names the rule. */
export function methodsIdPart(methods: readonly HttpMethod[]): string {
  return methods.map((m) => m.toLowerCase()).join("-");
}

/** `<service>.<path part>.<what>`: what answers there (a rule's methods, `public`, `preflight`, ...). */
export function routeId(x: Pick<LocatedRoute, "service" | "route">, what: string): string {
  const service = x.service.name.slice(0, MAX_ID - what.length - 10);
  return `${service}.${pathIdPart(x.route.path, MAX_ID - service.length - what.length - 2)}.${what}`;
}
