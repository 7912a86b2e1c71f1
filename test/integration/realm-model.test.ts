/**
 * The native tier's identity provider plays the realm KeycloakIdentity
 * creates. Checked without a runtime: what it derives from the component's
 * resources, that the tokens it would issue carry what the gateway reads,
 * and that a drift between the two would show.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { identityEndpoints } from "../../components/identity";
import { renderIdentityPluginConf } from "../../components/gateway";
import { installRecorder, settle, type RecordedResource } from "../../scripts/lib/mock-stack";
import { KeycloakIdentity } from "../../components/identity";
import { keycloakAccessClaims, keycloakDefaultRoles } from "./support/identity-provider";
import { realmDuration, realmModelFromResources, type RealmModel } from "./support/realm-model";
import { PORTAL_USER, integrationSpec } from "./support/spec";

const spec = integrationSpec("http://127.0.0.1:1");
let resources: RecordedResource[];
let model: RealmModel;

beforeAll(async () => {
  const recorder = await installRecorder("gateway-auth", "realm-model");
  new KeycloakIdentity("identity", { spec });
  await settle(recorder);
  resources = recorder.resources;
  model = realmModelFromResources(resources);
});

const client = (id: string) => model.clients.find((c) => c.clientId === id)!;
const at = (claims: Record<string, any>, path: string) => path.split(".").reduce((v, k) => v?.[k], claims as any);

describe("the realm, read from KeycloakIdentity's resources", () => {
  it("has the realm's issuer, lifespans and refresh-token rotation", () => {
    expect(model.issuer).toBe(identityEndpoints(spec).issuerUrl);
    expect(model.accessTokenLifespan).toBe(300);
    expect(model.ssoSessionMaxLifespan).toBe(3600);
    expect(model.rotateRefreshTokens).toBe(true);
  });

  it("has each machine client with its secret, service-account roles and fixed tenant", () => {
    expect(client("caller-admin")).toMatchObject({
      confidential: true,
      clientCredentials: true,
      authorizationCode: false,
      serviceAccount: { roles: ["admin"] },
      hardcodedClaims: { tenant_id: "globex" },
    });
    expect(client("caller-admin").secret).toMatch(/^mock-client-secret-/);
  });

  it("has the portal's gateway client: confidential, code flow with PKCE S256, exact callback, its own token lifespan", () => {
    expect(client("portal-gateway")).toMatchObject({
      confidential: true,
      authorizationCode: true,
      pkceS256: true,
      redirectUris: ["http://gateway:9080/portal/callback"],
      accessTokenLifespan: 60,
    });
  });

  it("has the seed user with a password, the tenant attribute and the roles of her groups", () => {
    const alice = model.users.find((u) => u.username === PORTAL_USER)!;
    expect(alice).toMatchObject({ attributes: { tenant_id: "acme" }, roles: ["viewer"], emailVerified: true });
    expect(alice.password).toMatch(/^mock-password-/);
  });
});

describe("tokens from that realm carry what the gateway reads", () => {
  const gatewayReads = () => renderIdentityPluginConf(spec, { roles: ["viewer"] });

  it("roles at the identity plugin's claim path, Keycloak's default roles included; tenant at its tenant claim; the gateway's audience", () => {
    const claims = keycloakAccessClaims(model, client("caller-viewer"), undefined);
    expect(at(claims, gatewayReads().roles_claim)).toEqual([...keycloakDefaultRoles(spec.realm.name), "viewer"]);
    expect(at(claims, gatewayReads().tenant_claim)).toBe("acme");
    expect(claims.aud).toBe(identityEndpoints(spec).audience);
    expect(claims.azp).toBe("caller-viewer");
  });

  it("a drift shows: an audience mapper naming another client leaves the gateway's audience out of every token", () => {
    const drifted = structuredClone(resources);
    drifted.find((r) => r.type.endsWith("AudienceProtocolMapper"))!.inputs.includedClientAudience = "another-api";
    const m = realmModelFromResources(drifted);
    const claims = keycloakAccessClaims(
      m,
      m.clients.find((c) => c.clientId === "caller-viewer")!,
      undefined,
    );
    expect(claims.aud).toBe("another-api");
  });

  it("a drift shows: a tenant mapper writing another claim leaves the gateway's tenant claim empty for users", () => {
    const drifted = structuredClone(resources);
    drifted.find((r) => r.type.endsWith("UserAttributeProtocolMapper"))!.inputs.claimName = "org";
    const m = realmModelFromResources(drifted);
    const claims = keycloakAccessClaims(
      m,
      m.clients.find((c) => c.clientId === "portal-gateway")!,
      m.users[0],
    );
    expect(at(claims, gatewayReads().tenant_claim)).toBeUndefined();
  });
});

describe("realm durations, read as the Keycloak provider reads them (Go's time.ParseDuration)", () => {
  it("accepts Go units", () => {
    expect(realmDuration("x", "5m")).toBe(300);
    expect(realmDuration("x", "1h30m")).toBe(5400);
    expect(realmDuration("x", "1.5s")).toBe(1.5);
  });

  it("refuses days, as the provider does at apply time, naming the field", () => {
    expect(() => realmDuration("realm ssoSessionMaxLifespan", "1d")).toThrow(/realm ssoSessionMaxLifespan: "1d" is not a Go duration/);
    expect(() => realmDuration("x", "")).toThrow(/not a Go duration/);
  });
});
