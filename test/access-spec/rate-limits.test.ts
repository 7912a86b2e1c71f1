import { describe, expect, it } from "vitest";
import { deploymentWarnings, effectiveRateLimit, parseAccessSpec } from "../../components/access-spec";
import { rawSpec } from "../fixtures/raw-spec";
import { problemsOf } from "../support/spec-problems";

const redis = { type: "redis", address: "redis.cache.svc.cluster.local:6379", namespace: "cache", passwordSecret: { name: "redis", key: "password" } };

describe("rate limits in the access spec", () => {
  it("reads a default, a route's and a rule's limit, the most specific one winning", () => {
    const raw = rawSpec();
    raw.gateway.rateLimits = { default: { requests: 600, window: "1m" }, store: redis };
    raw.services[0].routes[0].rateLimit = { requests: 100, window: "1m" };
    raw.services[0].routes[0].rules[1].rateLimit = { requests: 10, window: "1s" };
    const spec = parseAccessSpec(raw);
    const [orders, health] = spec.services[0].routes;
    expect(effectiveRateLimit(spec, orders, orders.rules[0])).toEqual({ requests: 100, windowSeconds: 60 });
    expect(effectiveRateLimit(spec, orders, orders.rules[1])).toEqual({ requests: 10, windowSeconds: 1 });
    expect(effectiveRateLimit(spec, health)).toEqual({ requests: 600, windowSeconds: 60 });
    expect(spec.gateway.rateLimits.store).toMatchObject({
      type: "redis",
      addresses: ["redis.cache.svc.cluster.local:6379"],
      whenUnavailable: "deny",
      timeoutMs: 1000,
    });
  });

  it("limits nothing by default, with a local store that fails closed", () => {
    const spec = parseAccessSpec(rawSpec());
    expect(spec.gateway.rateLimits).toEqual({
      store: { type: "local", addresses: [], podSelector: {}, database: 0, timeoutMs: 1000, whenUnavailable: "deny" },
      headers: true,
    });
    expect(effectiveRateLimit(spec, spec.services[0].routes[0], spec.services[0].routes[0].rules[0])).toBeUndefined();
  });

  it.each([
    [
      (r: any) => (r.services[0].routes[0].rateLimit = { requests: 0, window: "1m" }),
      "services[0].routes[0].rateLimit.requests: expected an integer from 1 to 1000000000, got 0",
    ],
    [
      (r: any) => (r.services[0].routes[0].rules[0].rateLimit = { requests: 5, window: "0s" }),
      'services[0].routes[0].rules[0].rateLimit.window: "0s" is not a window from 1s to 1d',
    ],
    [(r: any) => (r.services[0].routes[0].rateLimit = { requests: 5, window: "-1m" }), 'services[0].routes[0].rateLimit.window: "-1m" is not a window'],
    [
      (r: any) => (r.services[0].routes[0].rateLimit = { requests: 5, window: "2d" }),
      'services[0].routes[0].rateLimit.window: "2d" is not a window from 1s to 1d',
    ],
    [(r: any) => (r.services[0].routes[0].rateLimit = { requests: 5, window: "1m", burst: 2 }), "services[0].routes[0].rateLimit.burst"],
    [
      (r: any) => (r.gateway.rateLimits = { store: { type: "memcached" } }),
      'gateway.rateLimits.store.type: "memcached" is not one of local, redis, redis-cluster',
    ],
    [
      (r: any) => (r.gateway.rateLimits = { store: { type: "redis", namespace: "cache" } }),
      "gateway.rateLimits.store.address: a redis store needs exactly one address",
    ],
    [
      (r: any) => (r.gateway.rateLimits = { store: { type: "redis", address: "redis:6379" } }),
      "gateway.rateLimits.store.namespace: the namespace of the Redis pods is required",
    ],
    [
      (r: any) => (r.gateway.rateLimits = { store: { type: "redis", address: "redis", namespace: "cache" } }),
      'gateway.rateLimits.store.address: "redis" is not host:port',
    ],
    [
      (r: any) => (r.gateway.rateLimits = { store: { ...redis, whenUnavailable: "maybe" } }),
      'gateway.rateLimits.store.whenUnavailable: "maybe" is not one of deny, allow',
    ],
    // Settings the store type would silently ignore.
    [(r: any) => (r.gateway.rateLimits = { store: { type: "local", timeoutMs: 500 } }), "gateway.rateLimits.store.timeoutMs: a local store has no timeoutMs"],
    [
      (r: any) => (r.gateway.rateLimits = { store: { type: "local", passwordSecret: { name: "redis", key: "password" } } }),
      "gateway.rateLimits.store.passwordSecret: a local store has no passwordSecret",
    ],
    // Redis settings without a type: one problem, at the type that was forgotten.
    [
      (r: any) => (r.gateway.rateLimits = { store: { namespace: "cache", passwordSecret: { name: "redis", key: "password" } } }),
      "gateway.rateLimits.store.type: missing: namespace, passwordSecret are Redis settings; set type: redis or redis-cluster",
    ],
    [
      (r: any) => (r.gateway.rateLimits = { store: { type: "local", whenUnavailable: "allow" } }),
      "gateway.rateLimits.store.whenUnavailable: a local store has no whenUnavailable",
    ],
    [
      (r: any) => (r.gateway.rateLimits = { store: { type: "redis-cluster", addresses: ["a:1"], namespace: "cache", database: 2 } }),
      "gateway.rateLimits.store.database: a Redis cluster has only database 0",
    ],
  ])("refuses a bad limit or store with its path (%#)", (mutate, expected) => {
    expect(problemsOf(mutate).join("\n")).toContain(expected);
  });

  it("refuses per-replica counters in prod, where replicas would multiply every limit, and warns in staging", () => {
    const limitOrders = (r: any) => (r.services[0].routes[0].rateLimit = { requests: 100, window: "1m" });
    expect(problemsOf(limitOrders).join("\n")).toContain(
      'gateway.rateLimits.store.type: "local" keeps counters per replica: with gateway.replicas 3 every limit is multiplied by 3 in prod',
    );
    const raw = rawSpec();
    limitOrders(raw);
    raw.environment = "staging";
    expect(deploymentWarnings(parseAccessSpec(raw)).join("\n")).toContain("each replica counts on its own");
    raw.environment = "prod";
    raw.gateway.rateLimits = { store: redis };
    expect(deploymentWarnings(parseAccessSpec(raw)).join("\n")).not.toContain("replica");
  });
});
