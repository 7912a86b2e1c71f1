import { parseDuration } from "./durations";
import * as P from "./patterns";
import { type Raw, type SpecReader, join, show } from "./reader";
import {
  RATE_LIMIT_STORE_TYPES,
  STORE_UNAVAILABLE_POLICIES,
  type AccessRuleSpec,
  type AccessSpec,
  type GatewayRateLimitsSpec,
  type RateLimitSpec,
  type RateLimitStoreSpec,
  type RouteSpec,
} from "./types";

/** The longest window a limit may have: APISIX keeps the counter that long. */
const MAX_WINDOW_SECONDS = 86400;
/** A key of a Kubernetes Secret's data. */
const SECRET_KEY = { pattern: /^[-._a-zA-Z0-9]{1,253}$/, describe: "a Secret data key" };
const HOST_PORT = { pattern: /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?:\d{1,5}$/, describe: "host:port (redis.cache.svc.cluster.local:6379)" };

/** `{ requests: 100, window: "1m" }`: a positive whole number of requests per window of 1s to 1d. */
export function readRateLimit(r: SpecReader, path: string, value: Raw): RateLimitSpec | undefined {
  if (value === undefined) return undefined;
  const o = r.object(path, value, ["requests", "window"]) ?? {};
  const requests = r.integer(join(path, "requests"), o.requests, { min: 1, max: 1_000_000_000 });
  const window = r.string(join(path, "window"), o.window);
  const windowSeconds = parseDuration(window);
  if (window && (windowSeconds === undefined || windowSeconds > MAX_WINDOW_SECONDS)) {
    r.fail(join(path, "window"), `${show(window)} is not a window from 1s to 1d (e.g. "1s", "1m", "1h")`);
  }
  return { requests, windowSeconds: windowSeconds ?? 1 };
}

/** What only a Redis store reads. */
const REDIS_SETTINGS = ["address", "addresses", "namespace", "podSelector", "passwordSecret", "database", "timeoutMs", "whenUnavailable"] as const;

function readStore(r: SpecReader, path: string, value: Raw): RateLimitStoreSpec {
  const o = r.optionalObject(path, value, ["type", ...REDIS_SETTINGS]);
  const redisOnly = REDIS_SETTINGS.filter((f) => o[f] !== undefined);
  if (o.type === undefined && redisOnly.length > 0) {
    // Redis settings without a type: the type was forgotten, not every setting misplaced.
    const what = redisOnly.length === 1 ? "is a Redis setting" : "are Redis settings";
    r.fail(
      join(path, "type"),
      `missing: ${redisOnly.join(", ")} ${what}; set type: redis or redis-cluster (the default, local, counts in each gateway's memory)`,
    );
  }
  const type = r.oneOf(join(path, "type"), o.type, RATE_LIMIT_STORE_TYPES, "local");
  // An unknown type leaves which settings belong to the store unknown: its one problem says so.
  if (r.failedAt(join(path, "type"))) return { type, addresses: [], podSelector: {}, database: 0, timeoutMs: 1000, whenUnavailable: "deny" };
  const single = o.address === undefined ? [] : [r.string(join(path, "address"), o.address, HOST_PORT)];
  const addresses = [...single, ...r.array(join(path, "addresses"), o.addresses, (p, v) => r.string(p, v, HOST_PORT), { optional: true })];
  if (type === "redis" && addresses.length !== 1) r.fail(join(path, "address"), `a redis store needs exactly one address (host:port), got ${addresses.length}`);
  if (type === "redis-cluster" && addresses.length === 0) r.fail(join(path, "addresses"), "a redis-cluster store needs its seed nodes (host:port)");
  if (type === "local" && addresses.length > 0) r.fail(join(path, "type"), "a local store takes no address; set type: redis or redis-cluster");
  // Settings the chosen store would silently ignore are mistakes: say so.
  const ignored = type === "local" ? REDIS_SETTINGS.filter((f) => !f.startsWith("address")) : type === "redis-cluster" ? ["database"] : [];
  for (const field of ignored.filter((f) => o[f] !== undefined)) {
    r.fail(
      join(path, field),
      type === "local"
        ? `a local store has no ${field} (it counts in each gateway's memory); set type: redis or redis-cluster, or remove it`
        : "a Redis cluster has only database 0; remove it",
    );
  }
  if (type !== "local" && o.namespace === undefined)
    r.fail(join(path, "namespace"), "the namespace of the Redis pods is required: the gateway's NetworkPolicy allows egress there only");
  const secret = o.passwordSecret === undefined ? undefined : (r.object(join(path, "passwordSecret"), o.passwordSecret, ["name", "key"]) ?? {});
  return {
    type,
    addresses,
    ...(o.namespace === undefined ? {} : { namespace: r.string(join(path, "namespace"), o.namespace, P.K8S_NAME) }),
    podSelector: r.stringMap(join(path, "podSelector"), o.podSelector, P.LABEL_KEY, P.LABEL_VALUE) ?? {},
    ...(secret
      ? {
          passwordSecret: {
            name: r.string(join(path, "passwordSecret.name"), secret.name, P.K8S_NAME),
            key: r.string(join(path, "passwordSecret.key"), secret.key, SECRET_KEY),
          },
        }
      : {}),
    database: r.integer(join(path, "database"), o.database, { default: 0, min: 0, max: 15 }),
    timeoutMs: r.integer(join(path, "timeoutMs"), o.timeoutMs, { default: 1000, min: 1, max: 60_000 }),
    whenUnavailable: r.oneOf(join(path, "whenUnavailable"), o.whenUnavailable, STORE_UNAVAILABLE_POLICIES, "deny"),
  };
}

/** gateway.rateLimits: the default limit, the counter store, the X-RateLimit-* headers. */
export function readGatewayRateLimits(r: SpecReader, value: Raw): GatewayRateLimitsSpec {
  const path = "gateway.rateLimits";
  const o = r.optionalObject(path, value, ["default", "store", "headers"]);
  const store = readStore(r, join(path, "store"), o.store);
  const limit = readRateLimit(r, join(path, "default"), o.default);
  return { ...(limit ? { default: limit } : {}), store, headers: r.boolean(join(path, "headers"), o.headers, true) };
}

/** The limit that applies to a route's rule (or a public route): the rule's, else the route's, else the gateway's default. */
export function effectiveRateLimit(spec: AccessSpec, route: RouteSpec, rule?: AccessRuleSpec): RateLimitSpec | undefined {
  return rule?.rateLimit ?? route.rateLimit ?? spec.gateway.rateLimits.default;
}

/** Whether any route of the spec is rate limited. */
export function hasRateLimits(spec: AccessSpec): boolean {
  return spec.services.some((s) =>
    s.routes.some((route) => (route.public ? [undefined] : route.rules).some((rule) => effectiveRateLimit(spec, route, rule) !== undefined)),
  );
}

/** Replicas that keep counters of their own: each allows the whole limit. */
export function perReplicaCounters(spec: AccessSpec): boolean {
  return hasRateLimits(spec) && spec.gateway.rateLimits.store.type === "local" && spec.gateway.replicas > 1;
}
