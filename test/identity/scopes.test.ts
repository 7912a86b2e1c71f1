import { beforeAll, describe, expect, it } from "vitest";
import { KeycloakIdentity, apiScopesOfClient } from "../../components/identity";
import type { ResourceRecorder } from "../../scripts/lib/mock-stack";
import { scopedSpec } from "../fixtures/raw-spec";
import { build, unwrapSecrets, useRecorder } from "../support/mocks";

const T = {
  scope: "keycloak:openid/clientScope:ClientScope",
  client: "keycloak:openid/client:Client",
  defaultScopes: "keycloak:openid/clientDefaultScopes:ClientDefaultScopes",
  optionalScopes: "keycloak:openid/clientOptionalScopes:ClientOptionalScopes",
};

const spec = scopedSpec((raw) => {
  raw.clients.browser.push({ clientId: "partner", redirectUris: ["https://partner.example.com/cb"], consentRequired: true });
  raw.realm.scopes[1].clients.push("partner");
});
let rec: ResourceRecorder;

beforeAll(async () => {
  rec = await useRecorder();
  await build(rec, () => void new KeycloakIdentity("id", { spec }));
});

const inputs = (type: string, name: string) => unwrapSecrets(rec.one(type, name).inputs);

describe("API scopes in the realm", () => {
  it("become client scopes named as rules require them, in the token's scope claim, described on the consent screen", () => {
    expect(inputs(T.scope, "id-api-scope-orders%3Aread")).toMatchObject({ name: "orders:read", includeInTokenScope: true, consentScreenText: "Read orders" });
    expect(inputs(T.scope, "id-api-scope-orders%3Awrite")).toMatchObject({ name: "orders:write", includeInTokenScope: true });
  });

  it("are granted to a service client as default scopes (every client-credentials token carries them), beside the built-ins and the gateway scope", () => {
    expect(inputs(T.defaultScopes, "id-client-worker-default-scopes").defaultScopes).toEqual([
      "basic",
      "profile",
      "email",
      "web-origins",
      "acr",
      "gateway-access",
      "orders:read",
      "orders:write",
    ]);
    expect(rec.ofType(T.optionalScopes).map((r) => r.name)).not.toContain("id-client-worker-optional-scopes");
  });

  it("reach a browser client by default when the scope says so, else only when it asks (optional, and nothing else optional)", () => {
    expect(inputs(T.defaultScopes, "id-client-web-default-scopes").defaultScopes).toContain("orders:read");
    expect(inputs(T.defaultScopes, "id-client-partner-default-scopes").defaultScopes).not.toContain("orders:write");
    expect(inputs(T.optionalScopes, "id-client-partner-optional-scopes").optionalScopes).toEqual(["orders:write"]);
  });

  it("a client no scope lists gets none of them", () => {
    expect(apiScopesOfClient(spec, "nobody")).toEqual({ defaults: [], optional: [] });
  });

  it("a third-party browser client asks its users for consent; first-party ones do not", () => {
    expect(inputs(T.client, "id-client-partner").consentRequired).toBe(true);
    expect(inputs(T.client, "id-client-web").consentRequired).toBe(false);
  });
});
