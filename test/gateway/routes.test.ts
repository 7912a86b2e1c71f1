import { routeId } from "../../components/gateway/route-ids";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  HEADER_STRIPPING_RULE_ID,
  IDENTITY_PLUGIN,
  KEY_GUARD_PLUGIN,
  METHOD_NOT_ALLOWED,
  renderApisixConfig,
  renderApisixRoutes,
  renderApisixRules,
  renderGatewayFiles,
  pluginsUsed,
  type ApisixRoute,
} from "../../components/gateway";
import { identityEndpoints } from "../../components/identity";
import {
  longestAccessTokenLifespan,
  CONVENTIONAL_IDENTITY_HEADERS,
  IDENTITY_HEADERS,
  OIDC_PLUGIN_HEADERS,
  REQUEST_GUARD_PLUGIN,
  REQUEST_OVERRIDE_HEADERS,
  STRIPPED_HEADER_PATTERNS,
} from "../../components/access-spec";
import { appSpec, spec } from "../fixtures/raw-spec";

const s = spec((r) => (r.gateway.claimHeaders = [{ claim: "email", header: "X-User-Email" }]));
const rules = renderApisixRules(s);
const byId = (id: string) => rules.routes.find((r) => r.id === id)!;
const served = (r: ApisixRoute) => r.upstream_id !== undefined;

describe("authentication on every protected route", () => {
  const protectedRoutes = rules.routes.filter((r) => r.labels?.access === "protected");

  it("there are protected routes to check", () => {
    expect(protectedRoutes.map((r) => r.id)).toEqual(["orders.api_orders_all.get", "orders.api_orders_all.post-delete"]);
  });

  it.each(protectedRoutes.map((r) => [r.id, r]))("%s validates bearer JWTs locally with pinned settings", (_id, route) => {
    const oidc = (route as ApisixRoute).plugins!["openid-connect"] as any;
    const endpoints = identityEndpoints(s);
    expect(oidc).toMatchObject({
      bearer_only: true,
      use_jwks: true,
      discovery: endpoints.discoveryUrl,
      client_id: "api-gateway",
      token_signing_alg_values_expected: "RS256",
      accept_unsupported_alg: false,
      accept_none_alg: false,
      set_access_token_header: false,
      claim_validator: { issuer: { valid_issuers: ["https://auth.example.com/realms/shop"] } },
    });
    // The audience (401 invalid_token), exp and nbf are checked by the identity plugin right after.
    expect((route as ApisixRoute).plugins![IDENTITY_PLUGIN]).toMatchObject({ audience: "api-gateway", realm: "shop" });
    expect(oidc.client_secret).toBeUndefined();
  });

  it("every openid-connect config, bearer and browser session, keeps keys half the spec's JWKS cache time (two cache levels: a retired key is trusted at most jwksCacheSeconds)", () => {
    const withApps = appSpec((r) => {
      r.gateway.jwksCacheSeconds = 120;
    });
    const confs = renderApisixRoutes(withApps, identityEndpoints(withApps)).flatMap((r) =>
      r.plugins?.["openid-connect"] ? [r.plugins["openid-connect"] as any] : [],
    );
    expect(confs.some((c) => c.bearer_only === false)).toBe(true);
    expect(confs.some((c) => c.bearer_only === true)).toBe(true);
    for (const c of confs) expect(c.jwk_expires_in).toBe(60);
  });

  it("the verified-token fast path: openid-connect stands aside only for a token the key guard remembers, which it keeps no longer than the keys (and the spec sizes)", () => {
    const withApps = appSpec((r) => {
      r.gateway.jwksCacheSeconds = 120;
      r.gateway.verifiedTokenCacheSize = 500;
    });
    const routes = renderApisixRoutes(withApps, identityEndpoints(withApps)).filter((r) => r.plugins?.["openid-connect"]);
    const bearer = routes.filter((r) => (r.plugins!["openid-connect"] as any).bearer_only === true);
    const sessions = routes.filter((r) => (r.plugins!["openid-connect"] as any).bearer_only === false);
    expect(bearer.length).toBeGreaterThan(0);
    expect(sessions.length).toBeGreaterThan(0);
    for (const r of bearer) {
      // No `_meta`: the fast path skips it from the key guard, per request, never from configuration.
      expect((r.plugins!["openid-connect"] as any)._meta).toBeUndefined();
      // Until the token's exp, at most the longest access token the realm issues.
      expect((r.plugins![KEY_GUARD_PLUGIN] as any).verified_tokens).toEqual({ ttl: longestAccessTokenLifespan(withApps), size: 500, shared: true });
    }
    // A session's token is the gateway's own: no key guard, no fast path.
    for (const r of sessions) {
      expect((r.plugins!["openid-connect"] as any)._meta).toBeUndefined();
      expect(r.plugins![KEY_GUARD_PLUGIN]).toBeUndefined();
    }
    expect((byId("orders.api_orders_all.get").plugins![KEY_GUARD_PLUGIN] as any).verified_tokens.size).toBe(2_000);
    // The shared level: a dict of gateway.verifiedTokenCacheMegabytes (default 32), or none when 0.
    expect((renderApisixConfig(withApps, renderApisixRules(withApps)) as any).nginx_config.http.custom_lua_shared_dict.gateway_verified_tokens).toBe("32m");
    const off = appSpec((r) => (r.gateway.verifiedTokenCacheMegabytes = 0));
    expect((renderApisixConfig(off, renderApisixRules(off)) as any).nginx_config.http.custom_lua_shared_dict.gateway_verified_tokens).toBeUndefined();
    expect((renderApisixRules(off).routes.find((r) => r.plugins?.[KEY_GUARD_PLUGIN])!.plugins![KEY_GUARD_PLUGIN] as any).verified_tokens.shared).toBe(false);
  });

  it("the discovery URL is in-cluster while the accepted issuer is the public one", () => {
    const oidc = byId("orders.api_orders_all.get").plugins!["openid-connect"] as any;
    expect(oidc.discovery.startsWith("http://keycloak.keycloak.svc.cluster.local:8080/")).toBe(true);
    expect(oidc.claim_validator.issuer.valid_issuers[0].startsWith("https://auth.example.com/")).toBe(true);
  });

  it("every served route without openid-connect is a route the spec marks public", () => {
    const unauthenticated = rules.routes.filter((r) => served(r) && !r.plugins?.["openid-connect"]);
    expect(unauthenticated.map((r) => r.uri)).toEqual(["/api/orders-health"]);
    expect(s.services[0].routes.find((r) => r.path === "/api/orders-health")!.public).toBe(true);
  });
});

describe("authorization per method group", () => {
  it("each rule route's identity plugin allows exactly the rule's roles", () => {
    const r0 = byId("orders.api_orders_all.get");
    expect(r0.methods).toEqual(["GET"]);
    expect(r0.plugins![IDENTITY_PLUGIN]).toMatchObject({
      allow_roles: ["admin", "viewer"],
      known_roles: ["viewer", "writer", "admin"],
      tenant_claim: "tenant_id",
    });
    expect(byId("orders.api_orders_all.post-delete").methods).toEqual(["POST", "DELETE"]);
    expect((byId("orders.api_orders_all.post-delete").plugins![IDENTITY_PLUGIN] as any).allow_roles).toEqual(["writer"]);
  });

  it("the role check costs no JSONPath query per request: APISIX's acl plugin is not used", () => {
    for (const r of rules.routes) expect(Object.keys(r.plugins ?? {})).not.toContain("acl");
  });

  it("no call to Keycloak per request: neither authz-keycloak nor opa is used", () => {
    expect(pluginsUsed(rules)).not.toContain("authz-keycloak");
    expect(pluginsUsed(rules)).not.toContain("opa");
  });

  it("methods no rule lists fall to a route that answers 405 without reaching the upstream", () => {
    const fallback = byId("orders.api_orders_all.other-methods");
    expect(fallback.uri).toBe("/api/orders/*");
    expect(fallback.methods).toBeUndefined();
    expect(fallback.upstream_id).toBeUndefined();
    expect(fallback.priority).toBeLessThan(0);
    expect((fallback.plugins!.mocking as any).response_status).toBe(METHOD_NOT_ALLOWED);
    expect((fallback.plugins!.mocking as any).response_headers).toEqual({ Allow: "GET, POST, DELETE" });
  });

  it("every spec route has exactly one fallback", () => {
    expect(rules.routes.filter((r) => r.id.endsWith(".other-methods")).map((r) => r.uri)).toEqual(["/api/orders/*", "/api/orders-health"]);
  });
});

describe("anti-spoofing", () => {
  const strip = rules.global_rules.find((g) => g.id === HEADER_STRIPPING_RULE_ID)!;
  const guard = strip.plugins[REQUEST_GUARD_PLUGIN] as any;
  const removed = guard.strip_headers as string[];

  it("a global rule removes every identity header, extra claim headers, APISIX's own token headers and other proxies' identity headers", () => {
    for (const h of [...Object.values(IDENTITY_HEADERS), "X-User-Email", ...OIDC_PLUGIN_HEADERS, ...CONVENTIONAL_IDENTITY_HEADERS])
      expect(removed).toContain(h.toLowerCase());
    expect(guard.strip_header_patterns).toEqual([...STRIPPED_HEADER_PATTERNS]);
  });

  it("covers every header the identity plugin may set", () => {
    const conf = byId("orders.api_orders_all.get").plugins![IDENTITY_PLUGIN] as any;
    const set = [conf.user_id_header, conf.roles_header, conf.tenant_header, ...conf.claim_headers.map((c: any) => c.header)];
    for (const h of set) expect(removed).toContain(h.toLowerCase());
  });

  it("public routes are covered: global rules apply to every route, and no route sets a header back", () => {
    expect(rules.routes.every((r) => !("global_rules" in r))).toBe(true);
    expect(rules.routes.some((r) => r.plugins?.["proxy-rewrite"])).toBe(false);
  });

  it("method overrides are the request guard's (keys and headers), unless the service opts in: its routes say so in a label", () => {
    expect(guard.override_keys).toContain("_method");
    expect(guard.override_headers).toEqual(REQUEST_OVERRIDE_HEADERS.map((h) => h.toLowerCase()));
    expect(byId("orders.api_orders_all.get").labels!.override).toBeUndefined();
    const optedOut = renderApisixRules(spec((r) => ((r.environment = "staging"), (r.services[0].allowMethodOverride = true))));
    expect(optedOut.routes.find((r) => r.id === "orders.api_orders_all.get")!.labels!.override).toBe("allowed");
    expect(optedOut.routes.find((r) => r.id === "orders.api_orders-health.public")!.labels!.override).toBe("allowed");
  });

  it("the caller's bearer token stays at the gateway unless the service opts in", () => {
    expect((byId("orders.api_orders_all.get").plugins![IDENTITY_PLUGIN] as any).forward_authorization).toBe(false);
    const optedIn = renderApisixRules(spec((r) => ((r.environment = "staging"), (r.services[0].forwardBearerToken = true))));
    expect((optedIn.routes.find((r) => r.id === "orders.api_orders_all.get")!.plugins![IDENTITY_PLUGIN] as any).forward_authorization).toBe(true);
  });

  it("X-Userinfo does not reach services unless the spec asks", () => {
    expect((byId("orders.api_orders_all.get").plugins![IDENTITY_PLUGIN] as any).forward_userinfo).toBe(false);
    const forwarding = renderApisixRules(spec((r) => (r.gateway.forwardUserinfo = true)));
    expect((forwarding.routes.find((r) => r.id === "orders.api_orders_all.get")!.plugins![IDENTITY_PLUGIN] as any).forward_userinfo).toBe(true);
  });
});

describe("CORS for browser clients", () => {
  it("answers preflight on every spec route without authentication", () => {
    const preflight = byId("orders.api_orders_all.preflight");
    expect(preflight.methods).toEqual(["OPTIONS"]);
    expect(preflight.plugins!["openid-connect"]).toBeUndefined();
    expect((preflight.plugins!.cors as any).allow_origins).toBe("https://app.example.com");
    expect((preflight.plugins!.cors as any).allow_credential).toBe(false);
  });

  it("without web origins there is no cors and no preflight route", () => {
    const noBrowser = renderApisixRules(spec((r) => (r.clients.browser = [])));
    expect(noBrowser.routes.some((r) => r.plugins?.cors)).toBe(false);
    expect(noBrowser.routes.some((r) => r.id.endsWith(".preflight"))).toBe(false);
  });
});

describe("standalone files", () => {
  const files = renderGatewayFiles(s);

  it("apisix.yaml ends with #END", () => {
    expect(files["apisix.yaml"].endsWith("#END\n")).toBe(true);
  });

  it("config.yaml lists every plugin the rules use, as a standalone data plane", () => {
    const config = renderApisixConfig(s, rules);
    const used = new Set([...rules.routes, ...rules.global_rules].flatMap((r) => Object.keys(r.plugins ?? {})));
    expect(new Set(config.plugins)).toEqual(used);
    expect(config.deployment).toEqual({ role: "data_plane", role_data_plane: { config_provider: "yaml" } });
    expect(config.apisix.extra_lua_path).toBe("/opt/apisix-plugins/?.lua");
    // A bearer token fits the first header buffer; one with many roles still fits a large one.
    expect(config.nginx_config.http_configuration_snippet).toMatch(/client_header_buffer_size 4k;/);
    expect(config.nginx_config.http_configuration_snippet).toMatch(/large_client_header_buffers 8 32k;/);
  });

  it("ships the plugin source", () => {
    expect(files[`plugins/${IDENTITY_PLUGIN}.lua`]).toMatch(/priority = 2580/);
  });

  it("is deterministic", () => {
    expect(renderGatewayFiles(spec((r) => (r.gateway.claimHeaders = [{ claim: "email", header: "X-User-Email" }])))).toEqual(files);
  });

  it("binds routes to the gateway hostnames", () => {
    expect(rules.routes.every((r) => JSON.stringify(r.hosts) === JSON.stringify(["api.example.com"]))).toBe(true);
  });
});

describe("route access labels (what the policy pack reads intent from)", () => {
  it("every route says whether it is protected, public, or answered by the gateway", () => {
    for (const r of rules.routes) expect(["protected", "public", "gateway"], r.id).toContain(r.labels?.access);
  });

  it("protected routes authenticate; gateway-answered routes never reach an upstream", () => {
    for (const r of rules.routes.filter((x) => x.labels?.access === "protected")) expect(r.plugins?.["openid-connect"], r.id).toBeDefined();
    for (const r of rules.routes.filter((x) => x.labels?.access === "gateway")) expect(r.upstream_id, r.id).toBeUndefined();
  });
});

describe("route ids", () => {
  it("are unique, and a clash from cutting long service names is refused", () => {
    expect(new Set(rules.routes.map((r) => r.id)).size).toBe(rules.routes.length);
    const long = "a".repeat(56);
    const services = (r: any) => {
      r.services = [
        { name: `${long}-one`, namespace: "x", port: 80, routes: [{ path: "/same/*", rules: [{ methods: ["GET"], roles: ["viewer"] }] }] },
        { name: `${long}-two`, namespace: "x", port: 80, routes: [{ path: "/same/*", rules: [{ methods: ["GET"], roles: ["viewer"] }] }] },
      ];
    };
    // The spec refuses names this long first (their Kubernetes names would not fit)...
    expect(() => spec(services)).toThrow(/services\[0\]\.name: with gateway\.name "apisix" the object name/);
    // ...and the renderer still refuses a clash on its own, whatever spec reaches it.
    const unchecked = structuredClone(spec()) as any;
    services(unchecked);
    for (const svc of unchecked.services)
      Object.assign(svc, {
        podSelector: { app: "x" },
        mtls: false,
        allowMethodOverride: false,
        forwardBearerToken: false,
        timeouts: spec().services[0].timeouts,
      });
    expect(() => renderApisixRules(unchecked)).toThrow(/would share the id/);
  });

  it("name what they serve (service, path, rule methods), so other routes coming and going rename none of them", () => {
    const before = new Set(rules.routes.map((r) => r.id));
    expect(before).toContain("orders.api_orders_all.get");
    // A route added in front, and the existing ones reordered: every earlier id is still there.
    const edited = renderApisixRules(
      spec((raw) => {
        raw.services[0].routes.reverse();
        raw.services[0].routes.unshift({ path: "/api/invoices/*", rules: [{ methods: ["GET"], roles: ["viewer"] }] });
      }),
    );
    const after = new Set(edited.routes.map((r) => r.id));
    for (const id of before) expect(after, id).toContain(id);
    expect(after.size).toBeGreaterThan(before.size);
  });

  // Paths an id could read alike if it only joined segments: each pair must stay apart.
  const lookalikes = [
    ["/api/*", "/api/all"],
    ["/api/a/b", "/api/a_b"],
    ["/api/{tenant}/x", "/api/tenant/x"],
    ["/api/a~b", "/api/ab"],
    ["/v1.2/x", "/v1/2/x"],
    ["/" + "segment/".repeat(12) + "a", "/" + "segment/".repeat(12) + "b"],
  ];
  it.each(lookalikes)("stay apart for %s and %s, and fit APISIX's id rules", (a, b) => {
    const ids = [a, b].map((path) => routeId({ service: { name: "orders" } as any, route: { path } as any }, "get-head"));
    expect(ids[0]).not.toBe(ids[1]);
    for (const id of ids) {
      expect(id.length).toBeLessThanOrEqual(64);
      expect(id).toMatch(/^[a-zA-Z0-9._-]+$/);
    }
  });
});

describe("the rendered files, as APISIX reads them", () => {
  it("mean the same to a YAML 1.1 reader (APISIX) as to a YAML 1.2 one: `off` stays a string, never a boolean", () => {
    const files = renderGatewayFiles(appSpec());
    for (const name of ["config.yaml", "apisix.yaml"]) {
      const text = files[name].replace(/#END\s*$/, "");
      expect(parseYaml(text, { version: "1.1" }), name).toEqual(parseYaml(text));
    }
    expect(parseYaml(files["config.yaml"], { version: "1.1" }).nginx_config.http.underscores_in_headers).toBe("off");
  });
});
