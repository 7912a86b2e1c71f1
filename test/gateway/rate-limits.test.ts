import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import {
  DECISIONS_PLUGIN,
  IDENTITY_PLUGIN,
  RATE_LIMIT_PASSWORD_ENV,
  RATE_LIMIT_PLUGIN,
  renderAccessMatrixMarkdown,
  renderApisixConfig,
  renderApisixRules,
  renderGatewayFiles,
  renderGatewayManifests,
} from "../../components/gateway";
import { renderNetworkPolicies } from "../../components/network";
import { spec } from "../fixtures/raw-spec";

const redisStore = {
  type: "redis",
  address: "redis.cache.svc.cluster.local:6380",
  namespace: "cache",
  podSelector: { app: "redis" },
  passwordSecret: { name: "gateway-redis", key: "password" },
};
const limited = spec((r) => {
  r.gateway.rateLimits = { store: redisStore };
  r.services[0].routes[0].rules[1].rateLimit = { requests: 30, window: "1m" };
  r.services[0].routes[1].rateLimit = { requests: 60, window: "1m" };
});
const rules = renderApisixRules(limited);
const route = (id: string) => rules.routes.find((r) => r.id === id)!;

describe("rate limits rendered for APISIX", () => {
  it("limit a rule per verified caller and a public route per client address, with 429 and one counter group per route", () => {
    expect(route("orders.api_orders_all.post-delete").plugins![RATE_LIMIT_PLUGIN]).toMatchObject({
      count: 30,
      time_window: 60,
      key_type: "var",
      key: "gateway_rate_key",
      rejected_code: 429,
      group: "apisix:orders.api_orders_all.post-delete",
      allow_degradation: false,
      show_limit_quota_header: true,
    });
    expect(route("orders.api_orders-health.public").plugins![RATE_LIMIT_PLUGIN]).toMatchObject({
      count: 60,
      key: "remote_addr",
      group: "apisix:orders.api_orders-health.public",
    });
    expect(route("orders.api_orders_all.get").plugins![RATE_LIMIT_PLUGIN]).toBeUndefined();
  });

  it("keep counters in Redis with the password by $env://, never the value", () => {
    expect(route("orders.api_orders_all.post-delete").plugins![RATE_LIMIT_PLUGIN]).toMatchObject({
      policy: "redis",
      redis_host: "redis.cache.svc.cluster.local",
      redis_port: 6380,
      redis_password: `$env://${RATE_LIMIT_PASSWORD_ENV}`,
    });
    const deployment = renderGatewayManifests(limited, { files: renderGatewayFiles(limited) }).find((m) => m.kind === "Deployment") as any;
    const env = deployment.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: RATE_LIMIT_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: "gateway-redis", key: "password" } } });
    expect(renderApisixConfig(limited, rules).nginx_config.envs).toContain(RATE_LIMIT_PASSWORD_ENV);
  });

  it("fail open only when the spec says so", () => {
    const open = renderApisixRules(
      spec((r) => {
        r.environment = "staging"; // prod refuses a store that fails open
        r.gateway.rateLimits = { default: { requests: 5, window: "1s" }, store: { ...redisStore, whenUnavailable: "allow" } };
      }),
    );
    expect(open.routes.filter((r) => r.plugins?.[RATE_LIMIT_PLUGIN]).every((r) => (r.plugins![RATE_LIMIT_PLUGIN] as any).allow_degradation === true)).toBe(
      true,
    );
  });

  it("let the gateway reach the store's pods, and only on its port", () => {
    const egress = renderNetworkPolicies(limited).find((p) => p.metadata.name === "apisix-egress") as any;
    expect(egress.spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "cache" } }, podSelector: { matchLabels: { app: "redis" } } }],
      ports: [{ port: 6380, protocol: "TCP" }],
    });
  });

  it("give gateway-identity the spec's service clients (their budget is the client's)", () => {
    expect((route("orders.api_orders_all.post-delete").plugins![IDENTITY_PLUGIN] as any).service_clients).toEqual(["worker"]);
  });

  it("appear in the access matrix document with the store", () => {
    const md = renderAccessMatrixMarkdown(limited);
    expect(md).toContain("| orders | `/api/orders/*` | POST, DELETE | 30 per 1m | caller (user, or service account's client) |");
    expect(md).toContain("| orders | `/api/orders-health` | GET | 60 per 1m | client address |");
    expect(md).toContain("redis (redis.cache.svc.cluster.local:6380), shared by every replica; while unreachable: deny");
    expect(md).toContain("| rate_limited | 429 |");
  });
});

describe("the decision log and metrics, rendered", () => {
  it("log every request through a global rule, to the container's stdout by default", () => {
    const files = renderGatewayFiles(spec());
    const global = parse(files["apisix.yaml"].replace(/#END\s*$/, "")).global_rules.find((g: any) => g.plugins[DECISIONS_PLUGIN]);
    expect(global.plugins[DECISIONS_PLUGIN]).toEqual({ log_path: "/dev/stdout", issuer: "https://auth.example.com/realms/shop", audience: "api-gateway" });
  });

  it("label the Prometheus status counter with decision and reason", () => {
    const config = renderApisixConfig(spec(), renderApisixRules(spec()));
    expect(config.plugin_attr.prometheus.metrics.http_status.extra_labels).toEqual([{ decision: "$gateway_decision" }, { reason: "$gateway_reason" }]);
  });
});
