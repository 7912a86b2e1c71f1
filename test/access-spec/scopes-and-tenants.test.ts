import { describe, expect, it } from "vitest";
import { parseAccessSpec, SpecValidationError, tenantSegmentIndex, apisixRouteMatch } from "../../components/access-spec";
import { appSpec, scopedRawSpec } from "../fixtures/raw-spec";

const scopedRaw = scopedRawSpec;

const problems = (raw: any) => {
  try {
    parseAccessSpec(raw);
  } catch (e) {
    return (e as SpecValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error("expected the spec to be refused");
};

describe("API scopes in the spec", () => {
  it("are declared once with their clients; rules require them all-of, on top of one role", () => {
    const spec = parseAccessSpec(scopedRaw());
    expect(spec.realm.scopes).toEqual([
      { name: "orders:read", description: "Read orders", clients: ["worker", "web"], browserDefault: true },
      { name: "orders:write", description: "Change orders", clients: ["worker"], browserDefault: false },
    ]);
    expect(spec.services[0].routes[0].rules.map((r) => r.scopes)).toEqual([[], ["orders:write"]]);
  });

  it("a rule naming an undeclared scope is refused with its path and the nearest declared name", () => {
    const found = problems(scopedRaw((r) => (r.services[0].routes[0].rules[1].scopes = ["orders:wrte"])));
    expect(found).toContain('services[0].routes[0].rules[1].scopes[0]: scope "orders:wrte" is not declared in realm.scopes (did you mean "orders:write"?)');
  });

  it("a misspelt role says the nearest declared one too", () => {
    expect(problems(scopedRaw((r) => (r.services[0].routes[0].rules[0].roles = ["veiwer"])))).toContain(
      'services[0].routes[0].rules[0].roles[0]: role "veiwer" is not declared in realm.roles (did you mean "viewer"?)',
    );
  });

  it("refuses scope clients that do not exist (the gateway's own client included), duplicates and reused built-in names, all in one pass", () => {
    const found = problems(
      scopedRaw((r) => {
        r.realm.scopes[0].clients = ["wroker", "api-gateway"];
        r.realm.scopes.push({ name: "profile", clients: ["worker"] }, { name: "orders:write", clients: ["worker"] });
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'realm.scopes[0].clients[0]: "wroker" is not a service client, browser client or app client id (did you mean "worker"?)',
        'realm.scopes[0].clients[1]: "api-gateway" is not a service client, browser client or app client id',
        expect.stringMatching(/^realm\.scopes\[2\]\.name: "profile" is a scope Keycloak or the gateway defines already/),
        expect.stringMatching(/^realm\.scopes\[3\]\.name: duplicate scope/),
      ]),
    );
  });

  it("refuses scope names that could not travel in a `scope` claim or a challenge", () => {
    for (const name of ["orders read", 'orders"read', "", "orders,read", "-x", "a\\b"]) {
      expect(
        problems(scopedRaw((r) => (r.realm.scopes[0].name = name))).some((p) => p.startsWith("realm.scopes[0].name:")),
        name,
      ).toBe(true);
    }
  });

  it("an app asking for an API scope must be among that scope's clients", () => {
    const raw = (ask: string[], clients: string[]) => (r: any) => {
      r.realm.scopes = [{ name: "orders:read", clients }];
      r.apps[0].scopes = ask;
    };
    expect(() => appSpec(raw(["openid", "orders:read"], ["storefront-gateway"]))).not.toThrow();
    try {
      appSpec(raw(["openid", "orders:read"], ["web"]));
      throw new Error("expected a refusal");
    } catch (e) {
      expect((e as SpecValidationError).problems.map((p) => p.path)).toContain("apps[0].scopes[1]");
    }
  });
});

describe("tenant-bound routes", () => {
  it("bind one whole {tenant} segment, which APISIX matches as a prefix route with the path's shape as a condition", () => {
    expect(tenantSegmentIndex("/api/tenants/{tenant}/orders/*")).toBe(3);
    expect(tenantSegmentIndex("/api/orders/*")).toBeUndefined();
    expect(apisixRouteMatch("/api/orders/*")).toEqual({ uri: "/api/orders/*" });
    const { uri, vars } = apisixRouteMatch("/api/tenants/{tenant}/orders.v1/*");
    expect(uri).toBe("/api/tenants/*");
    const shape = new RegExp((vars as string[][])[0][2]);
    expect((vars as string[][])[0].slice(0, 2)).toEqual(["uri", "~~"]);
    for (const p of ["/api/tenants/acme/orders.v1/1", "/api/tenants/acme/orders.v1/", "/api/tenants/a.b/orders.v1/x/y"]) expect(shape.test(p), p).toBe(true);
    for (const p of ["/api/tenants//orders.v1/1", "/api/tenants/acme/ordersXv1/1", "/api/tenants/acme/orders.v1", "/api/tenants/a/b/orders.v1/1"])
      expect(shape.test(p), p).toBe(false);
    expect(apisixRouteMatch("/t/{tenant}").vars).toEqual([["uri", "~~", "^/t/[^/]+$"]]);
  });

  it("refuse a second {tenant}, a partial segment, another placeholder, and a public route binding a tenant", () => {
    for (const path of ["/api/{tenant}/x/{tenant}", "/api/t-{tenant}/x", "/api/{tenant}x", "/api/{user}/x", "/api/{tenant", "/api/%7Btenant%7D"]) {
      expect(problems(scopedRaw((r) => (r.services[0].routes[2].path = path))), path).toEqual([
        expect.stringMatching(/^services\[0\]\.routes\[2\]\.path: .* is not a route path/),
      ]);
    }
    expect(problems(scopedRaw((r) => r.services[0].routes.push({ path: "/api/shared/{tenant}", public: true })))).toEqual([
      expect.stringMatching(/^services\[0\]\.routes\[3\]\.path: .*public route/),
    ]);
  });

  it("overlap other routes like any path: a literal tenant under a bound path is refused", () => {
    const found = problems(
      scopedRaw((r) => r.services[0].routes.push({ path: "/api/tenants/acme/orders/1", rules: [{ methods: ["GET"], roles: ["viewer"] }] })),
    );
    expect(found).toEqual([expect.stringMatching(/^services\[0\]\.routes\[3\]\.path: .* overlaps "\/api\/tenants\/\{tenant\}\/orders\/\*"/)]);
  });
});
