import { beforeAll, describe, expect, it } from "vitest";
import {
  ApisixGateway,
  HEADER_STRIPPING_RULE_ID,
  IDENTITY_PLUGIN,
  REQUEST_GUARD_PLUGIN,
  renderAccessMatrix,
  renderApisixConfig,
  renderApisixRules,
  renderGatewayFiles,
  renderGatewayManifests,
} from "../../components/gateway";
import { BROWSER_SESSIONS } from "../../components/access-spec";
import { isSecretValue, type ResourceRecorder } from "../../scripts/lib/mock-stack";
import { appSpec } from "../fixtures/raw-spec";
import { build, unwrapSecrets, useRecorder } from "../support/mocks";

const s = appSpec();
const rules = renderApisixRules(s);
const route = (id: string) => rules.routes.find((r) => r.id === id)!;
const oidc = (id: string) => route(id).plugins!["openid-connect"] as any;

describe("routes of a browser app use the gateway's session", () => {
  it("authorization code with PKCE, the app's scopes, its confidential client, the exact callback", () => {
    expect(oidc("storefront.app_api_all.get")).toMatchObject({
      bearer_only: false,
      use_pkce: true,
      client_id: "storefront-gateway",
      scope: "openid profile email",
      redirect_uri: "https://shop.example.com/app/callback",
    });
  });

  it("keeps the client secret and the session secret out of the config: $env:// references to the Secret", () => {
    const conf = oidc("storefront.app_api_all.get");
    expect(conf.client_secret).toBe("$env://GATEWAY_APP_STOREFRONT_CLIENT_SECRET");
    expect(conf.session.secret).toBe(`$env://${BROWSER_SESSIONS.sessionSecretEnv}`);
    expect(renderGatewayFiles(s)["apisix.yaml"]).not.toMatch(/secret: (?!"?\$env:\/\/)\S/);
  });

  it("cookie: Secure (https app), HttpOnly, SameSite=Lax, scoped to the app's path, lifetimes from the spec", () => {
    expect(oidc("storefront.app_api_all.get").session).toMatchObject({
      cookie_secure: true,
      cookie_http_only: true,
      cookie_same_site: "Lax",
      cookie_path: "/app",
      absolute_timeout: 8 * 3600,
      idling_timeout: 20 * 60,
    });
  });

  it("renews the access token with the refresh token before it expires", () => {
    expect(oidc("storefront.app_api_all.get")).toMatchObject({ renew_access_token_on_expiry: true, access_token_expires_leeway: 30 });
  });

  it("logout ends the Keycloak session and revokes the tokens", () => {
    expect(oidc("storefront.app_api_all.get")).toMatchObject({
      logout_path: "/app/logout",
      revoke_tokens_on_logout: true,
      post_logout_redirect_uri: "https://shop.example.com/",
    });
    expect(route("app-storefront.logout").uri).toBe("/app/logout");
    // The realm's logout names the client, never the ID token: a token in a URL reaches the browser's history and logs.
    const sessionRoutes = rules.routes.filter((x: any) => x.plugins?.["openid-connect"]?.bearer_only === false);
    expect(sessionRoutes.length).toBeGreaterThan(0);
    for (const r of sessionRoutes) {
      const conf = r.plugins!["openid-connect"] as any;
      expect(conf, r.id).toMatchObject({ redirect_after_logout_with_id_token_hint: false, redirect_after_logout_with_client_id: true });
      expect(conf.redirect_after_logout_uri, r.id).toMatch(/\/realms\/[^/]+\/protocol\/openid-connect\/logout$/);
    }
    expect(route("app-storefront.callback").uri).toBe("/app/callback");
  });

  it("refuses, above the app's routes, a raw request URI a browser would read as another host (the return address after sign-in)", () => {
    const guard = route("storefront.app_account_all.return-address");
    expect(guard).toMatchObject({ uri: "/app/account/*", hosts: ["shop.example.com"], priority: 10 });
    const pattern = new RegExp((guard.vars![0] as string[])[2]);
    expect((guard.vars![0] as string[])[0]).toBe("real_request_uri");
    for (const evil of ["//evil.example/x", "/\\evil.example", "/%2Fevil.example", "/%5cevil.example"]) expect(pattern.test(evil), evil).toBe(true);
    for (const fine of ["/app/account/me", "/app/account/me?next=//x"]) expect(pattern.test(fine), fine).toBe(false);
  });

  it("logout is a same-origin POST: 403 for another Origin, 405 for other methods; app routes require the app's origin for unsafe methods", () => {
    expect(route("app-storefront.logout")).toMatchObject({ methods: ["POST"], uri: "/app/logout" });
    expect(route("app-storefront.logout-cross-site")).toMatchObject({
      methods: ["POST"],
      priority: 10,
      vars: [["http_origin", "~=", "https://shop.example.com"]],
    });
    expect((route("app-storefront.logout-cross-site").plugins!.mocking as any).response_status).toBe(403);
    expect(route("app-storefront.logout-other-methods").plugins!.mocking as any).toMatchObject({ response_status: 405, response_headers: { Allow: "POST" } });
    expect(route("storefront.app_api_all.get").plugins![IDENTITY_PLUGIN]).toMatchObject({
      app_origin: "https://shop.example.com",
      session_cookie: "storefront_session",
    });
  });

  it("API paths answer 401; pages redirect to sign-in", () => {
    expect(oidc("storefront.app_api_all.get").unauth_action).toBe("deny");
    expect(oidc("storefront.app_account_all.get").unauth_action).toBe("auth");
  });

  it("keeps the same role rules and identity headers, reading the claims from the session's access token", () => {
    expect(route("storefront.app_api_all.get").plugins![IDENTITY_PLUGIN]).toMatchObject({
      allow_roles: ["admin", "viewer"],
      claims_source: "access_token",
      roles_header: "X-User-Role",
    });
    expect(route("orders.api_orders_all.get").plugins![IDENTITY_PLUGIN]).toMatchObject({ claims_source: "userinfo" });
  });

  it("answers on the app's host only; bearer routes stay on every gateway host", () => {
    expect(route("storefront.app_api_all.get").hosts).toEqual(["shop.example.com"]);
    expect(route("orders.api_orders_all.get").hosts).toEqual(["api.example.com", "shop.example.com"]);
  });

  it("the session's token never reaches services: the global rule strips X-Access-Token too", () => {
    const guard = rules.global_rules.find((g) => g.id === HEADER_STRIPPING_RULE_ID)!.plugins[REQUEST_GUARD_PLUGIN] as any;
    expect(guard.strip_headers).toContain("x-access-token");
    // ... and the app's session cookie everywhere but its own session routes.
    expect(guard.session_cookies).toEqual(["storefront_session"]);
  });

  it("the access matrix says 302 for anonymous page requests and 401 for API ones", () => {
    const m = renderAccessMatrix(s);
    const anon = (path: string) => m.find((e) => e.path === path && e.method === "GET" && e.caller.kind === "anonymous")!.outcome;
    expect(anon("/app/account/*")).toEqual({ allow: false, status: 302, reason: "session_required" });
    expect(anon("/app/api/*")).toEqual({ allow: false, status: 401, reason: "session_required" });
  });
});

describe("secrets reach APISIX from a Secret", () => {
  it("the Deployment takes the session and client secrets from the browser-sessions Secret, declared to nginx", () => {
    const deployment = renderGatewayManifests(s, { files: renderGatewayFiles(s) }).find((m) => m.kind === "Deployment") as any;
    const env = deployment.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({
      name: BROWSER_SESSIONS.sessionSecretEnv,
      valueFrom: { secretKeyRef: { name: "apisix-browser-sessions", key: BROWSER_SESSIONS.sessionSecretKey } },
    });
    expect(env).toContainEqual({
      name: "GATEWAY_APP_STOREFRONT_CLIENT_SECRET",
      valueFrom: { secretKeyRef: { name: "apisix-browser-sessions", key: "storefront-client-secret" } },
    });
    expect((renderApisixConfig(s, rules) as any).nginx_config.envs).toEqual(
      expect.arrayContaining([BROWSER_SESSIONS.sessionSecretEnv, "GATEWAY_APP_STOREFRONT_CLIENT_SECRET"]),
    );
  });
});

describe("ApisixGateway with a browser app, under mocks", () => {
  let rec: ResourceRecorder;
  beforeAll(async () => {
    rec = await useRecorder();
    await build(
      rec,
      () =>
        new ApisixGateway("gw", { spec: s, appClientSecrets: { storefront: "kc-client-secret" }, upstreamTls: { certPem: "c", keyPem: "k", caCertPem: "ca" } }),
    );
  });

  it("generates one session secret for all replicas and keeps it, with the client secret, in a Secret as Pulumi secrets", () => {
    expect(rec.ofType("random:index/randomPassword:RandomPassword").map((r) => r.name)).toEqual(["gw-session-secret"]);
    const secret = rec.ofType("kubernetes:core/v1:Secret").find((r) => r.inputs.metadata.name === "apisix-browser-sessions")!;
    expect(isSecretValue(secret.inputs.stringData)).toBe(true);
    expect(unwrapSecrets(secret.inputs.stringData)).toEqual({
      [BROWSER_SESSIONS.sessionSecretKey]: "mock-password-gw-session-secret",
      "storefront-client-secret": "kc-client-secret",
    });
  });

  it("no ConfigMap holds either secret", () => {
    for (const cm of rec.ofType("kubernetes:core/v1:ConfigMap")) expect(JSON.stringify(unwrapSecrets(cm.inputs))).not.toMatch(/mock-password|kc-client-secret/);
  });

  it("refuses to build without the app's client secret", () => {
    expect(() => new ApisixGateway("gw2", { spec: s, upstreamTls: { certPem: "c", keyPem: "k", caCertPem: "ca" } })).toThrow(
      /appClientSecrets is required because the spec has browser apps \(storefront\)/,
    );
  });
});

describe("sign-in while the realm cannot be reached", () => {
  const withSession = rules.routes.filter((r) => r.plugins?.["openid-connect"] && (r.plugins["openid-connect"] as any).bearer_only === false);
  const rewrites = rules.routes.filter((r) => r.plugins?.["response-rewrite"]);

  it("every route that signs in or renews a session turns the gateway's own 500 into 503, Retry-After and a page", () => {
    expect(withSession.length).toBeGreaterThan(2);
    expect(withSession.map((r) => r.id).sort()).toEqual(rewrites.map((r) => r.id).sort());
    for (const r of withSession) {
      expect(r.plugins!["response-rewrite"], r.id).toMatchObject({
        // Only when no service answered: a service's own 500 is its answer.
        vars: [
          ["status", "==", 500],
          ["upstream_status", "!", "~~", "."],
        ],
        status_code: 503,
        headers: { set: { "Retry-After": "30", "Cache-Control": "no-store" } },
      });
      expect((r.plugins!["response-rewrite"] as any).body).toMatch(/Sign-in is unavailable right now/);
    }
  });

  it("bearer and public routes keep their statuses (no page for an API caller)", () => {
    for (const r of rules.routes.filter((x) => !withSession.includes(x))) expect(r.plugins?.["response-rewrite"], r.id).toBeUndefined();
  });
});
