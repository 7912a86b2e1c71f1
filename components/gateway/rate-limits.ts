import { gatewayObjectNames, type AccessSpec, type RateLimitSpec } from "../access-spec";

/** APISIX's plugin for fixed-window request counts, local or in Redis. */
export const RATE_LIMIT_PLUGIN = "limit-count";

/** The variable gateway-identity sets after verifying a token: whose budget the request counts against. */
export const RATE_KEY_VAR = "gateway_rate_key";

/** The environment variable the Redis password reaches APISIX in (`$env://`), from the Secret the spec names. */
export const RATE_LIMIT_PASSWORD_ENV = "GATEWAY_RATE_LIMIT_REDIS_PASSWORD";

/**
 * verified-caller: the subject of a user token, the client of a service
 * account (set by gateway-identity from verified claims only). client-address:
 * the connection's address as APISIX trusts it (gateway.trustedProxies), for
 * public routes.
 */
export type RateLimitCaller = "verified-caller" | "client-address";

function storeConf(spec: AccessSpec) {
  const store = spec.gateway.rateLimits.store;
  const password = store.passwordSecret ? { redis_password: `$env://${RATE_LIMIT_PASSWORD_ENV}` } : {};
  if (store.type === "redis") {
    const [host, port] = store.addresses[0].split(":");
    return { policy: "redis", redis_host: host, redis_port: Number(port), redis_database: store.database, redis_timeout: store.timeoutMs, ...password };
  }
  if (store.type === "redis-cluster") {
    return {
      policy: "redis-cluster",
      redis_cluster_nodes: [...store.addresses],
      redis_cluster_name: `${gatewayObjectNames(spec.gateway.name).workload}-rate-limits`,
      redis_timeout: store.timeoutMs,
      ...password,
    };
  }
  return { policy: "local" };
}

/**
 * limit-count for one route (or rule): 429 over the limit, the store and
 * failure mode from gateway.rateLimits. `group` names the counter: without
 * it APISIX keys counters by a version of the plugin's configuration that
 * differs between worker processes (measured: three keys in Redis for one
 * caller behind two gateways), so replicas would not share a budget. One
 * group per route (and gateway): budgets are per route, shared by replicas.
 */
export function renderRateLimitConf(spec: AccessSpec, limit: RateLimitSpec, caller: RateLimitCaller, routeId: string) {
  const { rateLimits } = spec.gateway;
  return {
    group: `${spec.gateway.name}:${routeId}`,
    count: limit.requests,
    time_window: limit.windowSeconds,
    key_type: "var",
    key: caller === "verified-caller" ? RATE_KEY_VAR : "remote_addr",
    rejected_code: 429,
    rejected_msg: "rate_limited",
    show_limit_quota_header: rateLimits.headers,
    allow_degradation: rateLimits.store.whenUnavailable === "allow",
    ...storeConf(spec),
  };
}
