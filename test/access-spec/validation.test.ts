import { describe, expect, it } from "vitest";
import { ENVIRONMENT_DEFAULTS, parseAccessSpec } from "../../components/access-spec";
import { devRawSpec, rawSpec } from "../fixtures/raw-spec";
import { problemsOf } from "../support/spec-problems";

describe("a valid spec", () => {
  it("parses, with environment defaults filled in", () => {
    const spec = parseAccessSpec(rawSpec());
    expect(spec.realm.tokens.accessTokenLifespan).toBe(300);
    expect(spec.realm.sslRequired).toBe("all");
    expect(spec.realm.tenantAttribute).toBe("tenant_id");
    expect(spec.gateway.replicas).toBe(ENVIRONMENT_DEFAULTS.prod.gatewayReplicas);
    expect(spec.gateway.forwardUserinfo).toBe(false);
    expect(spec.services[0].podSelector).toEqual({ app: "orders" });
    expect(spec.services[0].routes[1].methods).toEqual(["GET"]);
  });

  it("is frozen, so no component can change what another reads", () => {
    const spec = parseAccessSpec(rawSpec());
    expect(() => (spec.realm.roles as any).push({ name: "x" })).toThrow();
  });

  it("reports every problem at once", () => {
    const problems = problemsOf((r) => {
      r.realm.name = "Bad Name";
      r.services[0].port = 0;
    });
    expect(problems).toHaveLength(2);
  });
});

// Each case breaks exactly one thing; the error must name the field and the bad value.
const badInputs: Array<[string, (raw: any) => void, string, typeof rawSpec?]> = [
  [
    "a service name too long for the objects derived from it",
    (r) => {
      r.gateway.name = "public-gateway";
      r.services[0].name = "orders-and-fulfilment-and-returns-and-invoices-x";
      r.services[0].routes.forEach((x: any) => (x.path = x.path.replace("orders", "o")));
    },
    'services[0].name: with gateway.name "public-gateway" the object name "allow-public-gateway-to-orders-and-fulfilment-and-returns-and-invoices-x" has 72 characters; Kubernetes allows 63',
  ],
  [
    "keycloak.hostnameBackchannelDynamic",
    (r) => (r.keycloak.hostnameBackchannelDynamic = false),
    "keycloak.hostnameBackchannelDynamic: false: Keycloak would advertise public JWKS and token URLs to the gateway",
  ],
  ["unknown environment", (r) => (r.environment = "production"), 'environment: "production" is not one of dev, staging, prod'],
  [
    "undeclared role in a route rule",
    (r) => r.services[0].routes[0].rules[0].roles.push("auditor"),
    'services[0].routes[0].rules[0].roles[2]: role "auditor" is not declared in realm.roles',
  ],
  ["undeclared role in a group", (r) => (r.realm.groups[0].roles = ["ghost"]), 'realm.groups[0].roles[0]: role "ghost" is not declared in realm.roles'],
  [
    "undeclared role on a service client",
    (r) => (r.clients.service[0].roles = ["root"]),
    'clients.service[0].roles[0]: role "root" is not declared in realm.roles',
  ],
  ["duplicate role", (r) => r.realm.roles.push({ name: "viewer" }), 'realm.roles[3].name: duplicate role "viewer"'],
  ["duplicate client id", (r) => (r.clients.service[0].clientId = "web"), 'clients.service[0].clientId: duplicate client id "web"'],
  [
    "duplicate route path",
    (r) =>
      r.services.push({ name: "orders2", namespace: "shop", port: 80, routes: [{ path: "/api/orders/*", rules: [{ methods: ["GET"], roles: ["viewer"] }] }] }),
    'services[1].routes[0].path: duplicate path "/api/orders/*"',
  ],
  [
    "overlapping routes with contradicting rules",
    (r) => r.services[0].routes.push({ path: "/api/orders/export", rules: [{ methods: ["GET"], roles: ["admin"] }] }),
    'services[0].routes[2].path: "/api/orders/export" overlaps "/api/orders/*"',
  ],
  [
    "overlapping routes of two services",
    (r) =>
      r.services.push({
        name: "export",
        namespace: "shop",
        port: 80,
        routes: [
          {
            path: "/api/orders/x/*",
            rules: [
              { methods: ["GET"], roles: ["viewer", "admin"] },
              { methods: ["POST", "DELETE"], roles: ["writer"] },
            ],
          },
        ],
      }),
    'services[1].routes[0].path: "/api/orders/x/*" overlaps "/api/orders/*" of service "orders"',
  ],
  ["path with a dot segment", (r) => (r.services[0].routes[0].path = "/api/../admin"), 'services[0].routes[0].path: "/api/../admin" is not a route path'],
  ["path with an inner wildcard", (r) => (r.services[0].routes[0].path = "/api/*/orders"), 'services[0].routes[0].path: "/api/*/orders" is not a route path'],
  ["method listed in two rules", (r) => r.services[0].routes[0].rules[1].methods.push("GET"), "services[0].routes[0]: method GET is listed more than once"],
  [
    "unknown HTTP method",
    (r) => (r.services[0].routes[0].rules[0].methods = ["FETCH"]),
    'services[0].routes[0].rules[0].methods[0]: "FETCH" is not one of GET',
  ],
  ["protected route without rules", (r) => delete r.services[0].routes[0].rules, "services[0].routes[0].rules: expected a list, got undefined"],
  ["public route with rules", (r) => (r.services[0].routes[1].rules = []), "services[0].routes[1].rules: a public route takes `methods`, not `rules`"],
  [
    "wildcard redirect URI outside dev",
    (r) => (r.clients.browser[0].redirectUris = ["https://app.example.com/*"]),
    'clients.browser[0].redirectUris[0]: wildcard URL "https://app.example.com/*" is only allowed in dev',
  ],
  [
    "http redirect URI outside dev",
    (r) => (r.clients.browser[0].redirectUris = ["http://app.example.com/cb"]),
    'clients.browser[0].redirectUris[0]: "http://app.example.com/cb" must use https outside dev',
  ],
  ["malformed URL", (r) => (r.keycloak.publicUrl = "auth.example.com"), 'keycloak.publicUrl: "auth.example.com" is not a valid URL'],
  ["URL with a space", (r) => (r.keycloak.publicUrl = "auth example com"), 'keycloak.publicUrl: "auth example com" contains a space'],
  [
    "web origin with a path",
    (r) => (r.clients.browser[0].webOrigins = ["https://app.example.com/x"]),
    'clients.browser[0].webOrigins[0]: "https://app.example.com/x" must be an origin without a path',
  ],
  ["malformed duration", (r) => (r.realm.tokens.accessTokenLifespan = "5 minutes"), 'realm.tokens.accessTokenLifespan: "5 minutes" is not a duration'],
  [
    "access token longer than the environment allows",
    (r) => (r.realm.tokens.accessTokenLifespan = "1h"),
    "realm.tokens.accessTokenLifespan: 1h exceeds the prod maximum of 15m",
  ],
  [
    "sso idle longer than sso max",
    (r) => (r.realm.tokens = { ssoSessionIdleTimeout: "12h", ssoSessionMaxLifespan: "8h" }),
    "realm.tokens.ssoSessionIdleTimeout: 12h exceeds realm.tokens.ssoSessionMaxLifespan (8h)",
  ],
  ["sslRequired weaker than prod allows", (r) => (r.realm.sslRequired = "external"), 'realm.sslRequired: "external" is weaker than the prod minimum "all"'],
  [
    "seed users in prod",
    (r) => (r.seedUsers = [{ username: "bob", email: "b@example.com", firstName: "B", lastName: "B", tenant: "t" }]),
    "seedUsers: seed users are only allowed in dev, not in prod",
  ],
  [
    "seed user in an undeclared group",
    (r) => (r.seedUsers[0].groups = ["nobody"]),
    'seedUsers[0].groups[0]: group "nobody" is not declared in realm.groups',
    devRawSpec,
  ],
  ["misspelt optional field", (r) => (r.realm.sslRequierd = "all"), "realm.sslRequierd: unknown field"],
  ["service name not a Kubernetes name", (r) => (r.services[0].name = "Orders_Svc"), 'services[0].name: "Orders_Svc" is not a Kubernetes name'],
  ["port out of range", (r) => (r.services[0].port = 70000), "services[0].port: expected an integer from 1 to 65535, got 70000"],
  [
    "claim header that would overwrite a managed header",
    (r) => (r.gateway.claimHeaders = [{ claim: "sub", header: "X-User-Role" }]),
    'gateway.claimHeaders[0].header: "X-User-Role" is managed by the gateway already',
  ],
  ["gateway replicas below the prod minimum", (r) => (r.gateway.replicas = 1), "gateway.replicas: 1 is below the minimum of 2 for this environment"],
  [
    "a negative verified-token cache",
    (r) => (r.gateway.verifiedTokenCacheSize = -1),
    "gateway.verifiedTokenCacheSize: expected an integer from 0 to 1000000, got -1",
  ],
  [
    "service name used twice, even in another namespace",
    (r) =>
      r.services.push({ name: "orders", namespace: "other", port: 80, routes: [{ path: "/api/other/*", rules: [{ methods: ["GET"], roles: ["viewer"] }] }] }),
    'services[1].name: duplicate service "orders"',
  ],
  ["role name with a comma", (r) => r.realm.roles.push({ name: "a,b" }), 'realm.roles[3].name: "a,b" is not a role name'],
];

describe("a bad spec is refused with the field path and value", () => {
  it.each(badInputs)("%s", (_label, mutate, expected, base) => {
    const problems = problemsOf(mutate, base ?? rawSpec);
    expect(problems.join("\n")).toContain(expected);
  });

  it("covers at least 15 distinct bad inputs", () => {
    expect(new Set(badInputs.map(([label]) => label)).size).toBeGreaterThanOrEqual(15);
  });
});

describe("dev conveniences are dev only", () => {
  it("dev accepts http URLs, wildcard redirects and seed users", () => {
    const raw = devRawSpec();
    raw.keycloak.publicUrl = "http://auth.localtest.me";
    raw.clients.browser[0].redirectUris = ["http://localhost:5173/*"];
    const spec = parseAccessSpec(raw);
    expect(spec.seedUsers).toHaveLength(1);
    expect(spec.clients.browser[0].redirectUris).toEqual(["http://localhost:5173/*"]);
  });

  it("staging refuses them like prod", () => {
    const problems = problemsOf((r) => {
      r.environment = "staging";
      r.keycloak.publicUrl = "http://auth.example.com";
    });
    expect(problems.join("\n")).toContain('keycloak.publicUrl: "http://auth.example.com" must use https outside dev');
  });
});

describe("environment defaults", () => {
  it("dev defaults to 15m access tokens, prod to 5m", () => {
    const dev = devRawSpec();
    delete dev.realm.tokens;
    const prod = rawSpec();
    delete prod.realm.tokens;
    expect(parseAccessSpec(dev).realm.tokens.accessTokenLifespan).toBe(15 * 60);
    expect(parseAccessSpec(prod).realm.tokens.accessTokenLifespan).toBe(5 * 60);
  });
});
