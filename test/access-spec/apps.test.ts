import { describe, expect, it } from "vitest";
import { SpecValidationError, appOfRoute } from "../../components/access-spec";
import { appSpec } from "../fixtures/raw-spec";

const problems = (mutate: (raw: any) => void) => {
  try {
    appSpec(mutate);
  } catch (e) {
    return (e as SpecValidationError).problems.map((p) => `${p.path}: ${p.message}`).join("\n");
  }
  throw new Error("expected the spec to be refused");
};

describe("browser apps in the spec", () => {
  it("derive host, origin and path prefix from the app's URL", () => {
    const app = appSpec().apps[0];
    expect(app).toMatchObject({
      host: "shop.example.com",
      origin: "https://shop.example.com",
      pathPrefix: "/app",
      scopes: ["openid", "profile", "email"],
      apiPathPrefixes: ["/app/api/"],
    });
  });

  it("own the routes under their prefix, and only those", () => {
    const s = appSpec();
    expect(appOfRoute(s, { path: "/app/api/*" })?.name).toBe("storefront");
    expect(appOfRoute(s, { path: "/api/orders/*" })).toBeUndefined();
    expect(appOfRoute(s, { path: "/application/*" })).toBeUndefined();
  });

  it("an app's access tokens are bounded like the realm's (15m outside dev)", () => {
    expect(problems((r) => (r.apps[0].accessTokenLifespan = "1d"))).toContain("apps[0].accessTokenLifespan: 1d exceeds the prod maximum of 15m");
    expect(appSpec((r) => (r.apps[0].accessTokenLifespan = "10m")).apps[0].accessTokenLifespan).toBe(600);
  });

  it("keeps redirect URIs exactly as written (Keycloak compares them as strings)", () => {
    const s = appSpec((r) => {
      r.clients.browser[0].redirectUris = ["https://shop.example.com/callback/"];
      r.clients.browser[0].postLogoutRedirectUris = ["https://shop.example.com/bye/"];
      r.apps[0].postLogoutRedirectUri = "https://shop.example.com/signed-out/";
    });
    expect(s.clients.browser[0].redirectUris).toEqual(["https://shop.example.com/callback/"]);
    expect(s.clients.browser[0].postLogoutRedirectUris).toEqual(["https://shop.example.com/bye/"]);
    expect(s.apps[0].postLogoutRedirectUri).toBe("https://shop.example.com/signed-out/");
  });

  it("a session may not outlive Keycloak's (the spec states one lifetime, both follow)", () => {
    expect(problems((r) => (r.apps[0].sessionLifetime = "12h"))).toContain(
      "apps[0].sessionLifetime: 12h is longer than realm.tokens.ssoSessionMaxLifespan (10h)",
    );
    expect(problems((r) => (r.apps[0].sessionIdleTimeout = "1h"))).toContain(
      "apps[0].sessionIdleTimeout: 1h is longer than realm.tokens.ssoSessionIdleTimeout (30m)",
    );
  });

  it("need https outside dev, a path prefix, a host the gateway serves, a client id of their own, and routes to protect", () => {
    expect(problems((r) => (r.apps[0].url = "http://shop.example.com/app"))).toContain('apps[0].url: "http://shop.example.com/app" must use https outside dev');
    expect(problems((r) => (r.apps[0].url = "https://shop.example.com"))).toContain("needs a path prefix");
    expect(problems((r) => (r.apps[0].url = "https://other.example.com/app"))).toContain(
      'apps[0].url: host "other.example.com" is not one of gateway.hostnames',
    );
    expect(problems((r) => (r.apps[0].clientId = "web"))).toContain('apps[0].clientId: "web" is already used by another client');
    expect(problems((r) => (r.apps[0].url = "https://shop.example.com/nothing-here"))).toContain("no route in services[] is under");
  });

  it("reserve the callback and logout paths", () => {
    expect(problems((r) => r.services[1].routes.push({ path: "/app/logout", public: true }))).toContain(
      '"/app/logout" is served by the gateway for app "storefront"',
    );
  });
});
