import { beforeAll, describe, expect, it } from "vitest";
import { KeycloakIdentity } from "../../components/identity";
import { parseAccessSpec } from "../../components/access-spec";
import { isSecretValue, type ResourceRecorder } from "../../scripts/lib/mock-stack";
import { appSpec, devRawSpec } from "../fixtures/raw-spec";
import { build, isSecret, unwrapSecrets, useRecorder, valueOf } from "../support/mocks";

const T = {
  realm: "keycloak:index/realm:Realm",
  client: "keycloak:openid/client:Client",
  profile: "keycloak:index/realmUserProfile:RealmUserProfile",
  defaultScopes: "keycloak:openid/clientDefaultScopes:ClientDefaultScopes",
  roleMapper: "keycloak:openid/userRealmRoleProtocolMapper:UserRealmRoleProtocolMapper",
  tenantMapper: "keycloak:openid/userAttributeProtocolMapper:UserAttributeProtocolMapper",
  audienceMapper: "keycloak:openid/audienceProtocolMapper:AudienceProtocolMapper",
  hardcoded: "keycloak:openid/hardcodedClaimProtocolMapper:HardcodedClaimProtocolMapper",
  saRole: "keycloak:openid/clientServiceAccountRealmRole:ClientServiceAccountRealmRole",
  user: "keycloak:index/user:User",
};

let rec: ResourceRecorder;
let identity: KeycloakIdentity;

beforeAll(async () => {
  rec = await useRecorder();
  await build(rec, () => {
    identity = new KeycloakIdentity("id", { spec: parseAccessSpec(devRawSpec()) });
  });
});

const inputs = (type: string, name: string) => unwrapSecrets(rec.one(type, name).inputs);

describe("realm hardening", () => {
  it("requires SSL for external requests in dev, detects brute force, pins RS256, rotates refresh tokens", () => {
    const realm = inputs(T.realm, "id-realm");
    expect(realm.sslRequired).toBe("external");
    expect(realm.securityDefenses.bruteForceDetection.maxLoginFailures).toBe(5);
    expect(realm.defaultSignatureAlgorithm).toBe("RS256");
    expect(realm.revokeRefreshToken).toBe(true);
    expect(realm.refreshTokenMaxReuse).toBe(0);
    expect(realm.registrationAllowed).toBe(false);
    expect(realm.passwordPolicy).toMatch(/length\(12\)/);
  });

  it("uses the access-token lifespan the spec sets (5m)", () => {
    expect(inputs(T.realm, "id-realm").accessTokenLifespan).toBe("5m");
  });

  it("declares the tenant attribute, keeps the standard attributes, and lets only admins edit the tenant", () => {
    const attrs = inputs(T.profile, "id-user-profile").attributes as Array<{ name: string; permissions: { edits: string[] } }>;
    expect(attrs.map((a) => a.name)).toEqual(["username", "email", "firstName", "lastName", "tenant_id"]);
    expect(attrs.find((a) => a.name === "tenant_id")!.permissions.edits).toEqual(["admin"]);
  });
});

describe("token mappers", () => {
  it("put realm roles at realm_access.roles as a list, in the access token", () => {
    const m = inputs(T.roleMapper, "id-mapper-realm-roles");
    expect(m).toMatchObject({ claimName: "realm_access.roles", multivalued: true, addToAccessToken: true });
  });

  it("put the tenant attribute into the tenant_id claim", () => {
    expect(inputs(T.tenantMapper, "id-mapper-tenant")).toMatchObject({ userAttribute: "tenant_id", claimName: "tenant_id", addToAccessToken: true });
  });

  it("put the gateway client into aud", () => {
    expect(inputs(T.audienceMapper, "id-mapper-audience")).toMatchObject({ includedClientAudience: "api-gateway", addToAccessToken: true });
  });

  it("every calling client keeps basic (sub) and gets the gateway scope by default", () => {
    const sets = rec.ofType(T.defaultScopes).map((r) => unwrapSecrets(r.inputs).defaultScopes as string[]);
    expect(sets).toHaveLength(2);
    for (const scopes of sets) expect(scopes).toEqual(expect.arrayContaining(["basic", "profile", "email", "gateway-access"]));
  });
});

describe("clients", () => {
  it("the browser client is public, code flow with PKCE S256, no implicit or password grant, exact redirect URIs", () => {
    const c = inputs(T.client, "id-client-web");
    expect(c).toMatchObject({
      accessType: "PUBLIC",
      standardFlowEnabled: true,
      pkceCodeChallengeMethod: "S256",
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      validRedirectUris: ["https://app.example.com/callback"],
    });
  });

  it("the service client uses client credentials only, with its roles and a fixed tenant claim", () => {
    expect(inputs(T.client, "id-client-worker")).toMatchObject({
      accessType: "CONFIDENTIAL",
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
      implicitFlowEnabled: false,
    });
    expect(inputs(T.saRole, "id-client-worker-role-writer")).toMatchObject({ role: "writer", serviceAccountUserId: "mock-sa-id-client-worker" });
    expect(inputs(T.hardcoded, "id-client-worker-tenant")).toMatchObject({ claimName: "tenant_id", claimValue: "acme", addToAccessToken: true });
  });

  it("the gateway client is confidential with every flow off", () => {
    expect(inputs(T.client, "id-client-api-gateway")).toMatchObject({
      accessType: "CONFIDENTIAL",
      standardFlowEnabled: false,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
    });
  });
});

describe("outputs and secrets", () => {
  it("publishes issuer (public), discovery and JWKS (in-cluster) URLs", async () => {
    expect(await valueOf(identity.issuerUrl)).toBe("https://auth.example.com/realms/shop");
    expect(await valueOf(identity.discoveryUrl)).toBe("http://keycloak.keycloak.svc.cluster.local:8080/realms/shop/.well-known/openid-configuration");
    expect(await valueOf(identity.jwksUrl)).toBe("http://keycloak.keycloak.svc.cluster.local:8080/realms/shop/protocol/openid-connect/certs");
  });

  it("client secrets and seed passwords are Pulumi secrets", async () => {
    expect(await isSecret(identity.gatewayClientSecret)).toBe(true);
    expect(await isSecret(identity.serviceClientSecrets)).toBe(true);
    expect(await isSecret(identity.seedUserPasswords)).toBe(true);
    expect(Object.keys(await valueOf(identity.serviceClientSecrets))).toEqual(["worker"]);
  });

  it("a seed user's password reaches Keycloak as a secret input", () => {
    const user = rec.one(T.user, "id-user-alice");
    expect(isSecretValue(user.inputs.initialPassword.value) || isSecretValue(user.inputs.initialPassword)).toBe(true);
  });
});

describe("resource names", () => {
  it("the recorder refuses a duplicate name (so unique names are really checked)", async () => {
    const other = await useRecorder();
    other.newResource({ type: T.realm, name: "id-realm", inputs: {} });
    expect(() => other.newResource({ type: T.realm, name: "id-realm", inputs: {} })).toThrow(/registered twice/);
  });

  it("every resource name is unique", () => {
    const keys = rec.resources.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("children are parented to the component", () => {
    const children = rec.resources.filter((r) => r.custom);
    expect(children.length).toBeGreaterThan(10);
    expect(children.every((r) => r.parent === "id")).toBe(true);
  });
});

describe("a browser app's client (signed in at the gateway)", () => {
  let appRec: ResourceRecorder;
  let appIdentity: KeycloakIdentity;
  beforeAll(async () => {
    appRec = await useRecorder();
    await build(appRec, () => {
      appIdentity = new KeycloakIdentity("app", { spec: appSpec() });
    });
  });

  it("is confidential, code flow with PKCE S256, exact callback and post-logout URIs, no implicit or password grant", () => {
    expect(unwrapSecrets(appRec.one(T.client, "app-client-storefront-gateway").inputs)).toMatchObject({
      accessType: "CONFIDENTIAL",
      standardFlowEnabled: true,
      pkceCodeChallengeMethod: "S256",
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      validRedirectUris: ["https://shop.example.com/app/callback"],
      validPostLogoutRedirectUris: ["https://shop.example.com/"],
    });
  });

  it("follows the app's session lifetimes and uses refresh tokens", () => {
    expect(appRec.one(T.client, "app-client-storefront-gateway").inputs).toMatchObject({
      clientSessionMaxLifespan: String(8 * 3600),
      clientSessionIdleTimeout: String(20 * 60),
      useRefreshTokens: true,
    });
  });

  it("gets the gateway scope (roles, tenant, audience) and hands its secret out as a Pulumi secret", async () => {
    expect(unwrapSecrets(appRec.one(T.defaultScopes, "app-client-storefront-gateway-default-scopes").inputs).defaultScopes).toContain("gateway-access");
    expect(await isSecret(appIdentity.appClientSecrets)).toBe(true);
    expect(Object.keys(await valueOf(appIdentity.appClientSecrets))).toEqual(["storefront"]);
  });

  it("the realm keeps refresh-token rotation on", () => {
    expect(appRec.one(T.realm, "app-realm").inputs).toMatchObject({ revokeRefreshToken: true, refreshTokenMaxReuse: 0 });
  });
});

describe("a role given outside the spec (realm.roles[].grantedOutsideSpec)", () => {
  it("is marked on the Keycloak role (where the policy pack reads it); other roles carry no attribute", async () => {
    const raw = devRawSpec();
    raw.realm.roles = raw.realm.roles.map((r: any) => (r.name === "admin" ? { ...r, grantedOutsideSpec: true } : r));
    const marked = await useRecorder();
    await build(marked, () => {
      new KeycloakIdentity("marked", { spec: parseAccessSpec(raw) });
    });
    const roles = marked.resources.filter((r) => r.type === "keycloak:index/role:Role" && !r.inputs.clientId);
    expect(roles.length).toBeGreaterThan(1);
    expect(roles.find((r) => r.inputs.name === "admin")?.inputs.attributes).toEqual({ "gateway-auth.granted-outside-spec": "true" });
    expect(roles.filter((r) => r.inputs.name !== "admin").every((r) => r.inputs.attributes === undefined)).toBe(true);
  });
});
