import { beforeAll, describe, expect, it } from "vitest";
import { runStackUnderMocks } from "../../scripts/lib/run-stack";
import type { ResourceRecorder } from "../../scripts/lib/mock-stack";

// The real program for the prod example stack, under mocks.
let rec: ResourceRecorder;
beforeAll(async () => {
  ({ recorder: rec } = await runStackUnderMocks("prod"));
});

describe("prod stack identity", () => {
  it("creates no seed users and no user passwords (the only generated secret is the gateway's session secret)", () => {
    expect(rec.ofType("keycloak:index/user:User")).toHaveLength(0);
    expect(rec.ofType("random:index/randomPassword:RandomPassword").map((r) => r.name)).toEqual(["gateway-session-secret"]);
  });

  it("requires SSL for all requests and 5m access tokens", () => {
    const realm = rec.one("keycloak:index/realm:Realm", "identity-realm").inputs;
    expect(realm.sslRequired).toBe("all");
    expect(realm.accessTokenLifespan).toBe("5m");
  });

  it("passes the Keycloak provider explicitly, its client secret as a secret", () => {
    const provider = rec.one("pulumi:providers:keycloak", "keycloak").inputs;
    expect(provider.url).toBe("https://auth.example.com");
    expect(provider.clientSecret).toHaveProperty("4dabf18193072939515e22adb298388d");
  });
});
