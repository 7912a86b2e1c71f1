/**
 * The realm as Keycloak would hold it after `pulumi up`, read from the
 * resources this project's `KeycloakIdentity` registers (run under Pulumi's
 * mock runtime): its roles, groups and their roles, clients and their flows,
 * secrets, redirect URIs, lifespans, the gateway scope's mappers (realm roles,
 * tenant, audience), the API scopes each client gets or may ask for,
 * service-account roles, hard-coded claims and seed users.
 * Nothing is written again by hand: the native tier's identity provider
 * issues tokens from this model, so a drift between what the identity
 * component creates and what the gateway expects fails the native tier.
 *
 * Secrets and generated ids are the mock runtime's values (client secrets
 * `mock-client-secret-<resource>`, passwords `mock-password-<resource>`,
 * ids `<resource>-id`); the gateway under test is given the same ones.
 */
import { KeycloakIdentity } from "../../../components/identity";
import { GATEWAY_SCOPE_NAME, parseGoDuration, type AccessSpec } from "../../../components/access-spec";
import { installRecorder, settle, unwrapSecrets, type RecordedResource } from "../../../scripts/lib/mock-stack";

export interface RealmClient {
  clientId: string;
  /** Absent for public clients. */
  secret?: string;
  confidential: boolean;
  clientCredentials: boolean;
  authorizationCode: boolean;
  pkceS256: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  refreshTokens: boolean;
  /** Seconds; the realm's when absent. */
  accessTokenLifespan?: number;
  /** Claims its tokens get through its default scopes (the gateway scope's mappers) and its own mappers. */
  audiences: string[];
  realmRolesClaim?: string;
  /** user attribute -> claim name, from the tenant mapper. */
  attributeClaims: Array<{ attribute: string; claim: string }>;
  hardcodedClaims: Record<string, string>;
  /** API scopes (client scopes included in the token's `scope`): in every token, and those it may ask for. */
  apiScopes: { defaults: string[]; optional: string[] };
  /** The service account: its user id (the token's sub) and realm roles. */
  serviceAccount?: { userId: string; roles: string[] };
}

export interface RealmUser {
  id: string;
  username: string;
  password: string;
  email?: string;
  emailVerified: boolean;
  firstName?: string;
  lastName?: string;
  attributes: Record<string, string>;
  roles: string[];
}

export interface RealmModel {
  name: string;
  /** `<frontendUrl>/realms/<name>`: the `iss` of every token. */
  issuer: string;
  accessTokenLifespan: number;
  ssoSessionIdleTimeout: number;
  ssoSessionMaxLifespan: number;
  /** Refresh tokens are single-use (revokeRefreshToken, refreshTokenMaxReuse 0). */
  rotateRefreshTokens: boolean;
  roles: string[];
  clients: RealmClient[];
  users: RealmUser[];
}

const T = {
  realm: "keycloak:index/realm:Realm",
  role: "keycloak:index/role:Role",
  groupRoles: "keycloak:index/groupRoles:GroupRoles",
  scope: "keycloak:openid/clientScope:ClientScope",
  realmRoleMapper: "keycloak:openid/userRealmRoleProtocolMapper:UserRealmRoleProtocolMapper",
  attributeMapper: "keycloak:openid/userAttributeProtocolMapper:UserAttributeProtocolMapper",
  audienceMapper: "keycloak:openid/audienceProtocolMapper:AudienceProtocolMapper",
  hardcodedMapper: "keycloak:openid/hardcodedClaimProtocolMapper:HardcodedClaimProtocolMapper",
  client: "keycloak:openid/client:Client",
  defaultScopes: "keycloak:openid/clientDefaultScopes:ClientDefaultScopes",
  optionalScopes: "keycloak:openid/clientOptionalScopes:ClientOptionalScopes",
  serviceAccountRole: "keycloak:openid/clientServiceAccountRealmRole:ClientServiceAccountRealmRole",
  user: "keycloak:index/user:User",
  userGroups: "keycloak:index/userGroups:UserGroups",
} as const;

/** A realm duration as the Keycloak provider reads it (Go's time.ParseDuration): a refusal names the field. */
export function realmDuration(field: string, text: string): number {
  const seconds = parseGoDuration(text);
  if (seconds === undefined)
    throw new Error(
      `${field}: "${text}" is not a Go duration (the Keycloak provider parses realm durations with time.ParseDuration, which has no unit longer than h)`,
    );
  return seconds;
}

/** Client-level lifespans are seconds, as strings. */
function seconds(field: string, text: unknown): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(String(text))) throw new Error(`${field}: "${text}" is not a number of seconds`);
  return Number(text);
}

/** The mock runtime's id of a resource (what other resources receive as its `id`). */
const idOf = (r: RecordedResource) => `${r.name}-id`;

export function realmModelFromResources(resources: RecordedResource[]): RealmModel {
  const of = (type: string) => resources.filter((r) => r.type === type).map((r) => ({ r, in: unwrapSecrets(r.inputs) as Record<string, any> }));
  const realms = of(T.realm);
  if (realms.length !== 1) throw new Error(`expected one keycloak Realm, found ${realms.length}`);
  const realm = realms[0].in;

  const roleById = new Map(of(T.role).map((x) => [idOf(x.r), x.in.name as string]));
  const groupRoles = new Map(of(T.groupRoles).map((x) => [x.in.groupId as string, (x.in.roleIds as string[]).map((id) => roleById.get(id)!)]));

  // The gateway scope and what its mappers put into the access token.
  const scope = of(T.scope).find((x) => x.in.name === GATEWAY_SCOPE_NAME);
  const onScope = (type: string) => of(type).filter((x) => scope && x.in.clientScopeId === idOf(scope.r) && x.in.addToAccessToken !== false);
  const scopeClaims = {
    audiences: onScope(T.audienceMapper).map((x) => x.in.includedClientAudience as string),
    realmRolesClaim: onScope(T.realmRoleMapper).map((x) => x.in.claimName as string)[0],
    attributeClaims: onScope(T.attributeMapper).map((x) => ({ attribute: x.in.userAttribute as string, claim: x.in.claimName as string })),
  };

  // Client scopes that name themselves in the token's `scope` claim: the API's.
  const apiScopeNames = new Set(
    of(T.scope)
      .filter((x) => x.in.includeInTokenScope === true && x.in.name !== GATEWAY_SCOPE_NAME)
      .map((x) => x.in.name as string),
  );
  const apiOnly = (names: string[]) => names.filter((n) => apiScopeNames.has(n));

  const clients = of(T.client).map(({ r, in: c }): RealmClient => {
    const id = idOf(r);
    const defaults = of(T.defaultScopes).find((x) => x.in.clientId === id)?.in.defaultScopes ?? [];
    const optional = of(T.optionalScopes).find((x) => x.in.clientId === id)?.in.optionalScopes ?? [];
    const gets = defaults.includes(GATEWAY_SCOPE_NAME);
    const serviceAccountUserId = `mock-sa-${r.name}`;
    return {
      clientId: c.clientId,
      secret: c.accessType === "CONFIDENTIAL" ? `mock-client-secret-${r.name}` : undefined,
      confidential: c.accessType === "CONFIDENTIAL",
      clientCredentials: c.serviceAccountsEnabled === true,
      authorizationCode: c.standardFlowEnabled === true,
      pkceS256: c.pkceCodeChallengeMethod === "S256",
      redirectUris: c.validRedirectUris ?? [],
      postLogoutRedirectUris: c.validPostLogoutRedirectUris ?? [],
      refreshTokens: c.useRefreshTokens !== false,
      accessTokenLifespan: seconds(`client ${c.clientId} accessTokenLifespan`, c.accessTokenLifespan),
      audiences: gets ? scopeClaims.audiences : [],
      realmRolesClaim: gets ? scopeClaims.realmRolesClaim : undefined,
      attributeClaims: gets ? scopeClaims.attributeClaims : [],
      apiScopes: { defaults: apiOnly(defaults), optional: apiOnly(optional) },
      hardcodedClaims: Object.fromEntries(
        of(T.hardcodedMapper)
          .filter((x) => x.in.clientId === id && x.in.addToAccessToken !== false)
          .map((x) => [x.in.claimName, x.in.claimValue]),
      ),
      serviceAccount: c.serviceAccountsEnabled
        ? {
            userId: serviceAccountUserId,
            roles: of(T.serviceAccountRole)
              .filter((x) => x.in.serviceAccountUserId === serviceAccountUserId)
              .map((x) => x.in.role as string),
          }
        : undefined,
    };
  });

  const users = of(T.user).map(({ r, in: u }): RealmUser => {
    const groups: string[] = of(T.userGroups).find((x) => x.in.userId === idOf(r))?.in.groupIds ?? [];
    return {
      id: idOf(r),
      username: u.username,
      password: u.initialPassword?.value,
      email: u.email,
      emailVerified: u.emailVerified === true,
      firstName: u.firstName,
      lastName: u.lastName,
      attributes: u.attributes ?? {},
      roles: [...new Set(groups.flatMap((g) => groupRoles.get(g) ?? []))],
    };
  });

  const frontendUrl = realm.attributes?.frontendUrl;
  if (!frontendUrl) throw new Error(`realm ${realm.realm} has no frontendUrl: its issuer would follow each request's host`);
  return {
    name: realm.realm,
    issuer: `${frontendUrl}/realms/${realm.realm}`,
    accessTokenLifespan: realmDuration("realm accessTokenLifespan", realm.accessTokenLifespan),
    ssoSessionIdleTimeout: realmDuration("realm ssoSessionIdleTimeout", realm.ssoSessionIdleTimeout),
    ssoSessionMaxLifespan: realmDuration("realm ssoSessionMaxLifespan", realm.ssoSessionMaxLifespan),
    rotateRefreshTokens: realm.revokeRefreshToken === true && (realm.refreshTokenMaxReuse ?? 0) === 0,
    roles: [...roleById.values()],
    clients,
    users,
  };
}

/**
 * Registers `KeycloakIdentity` for the spec under Pulumi's mock runtime (in
 * this process: call it once, before anything else uses Pulumi) and reads the
 * realm from what it registered.
 */
export async function realmModelOf(spec: AccessSpec): Promise<RealmModel> {
  const recorder = await installRecorder("gateway-auth", "native-tier");
  new KeycloakIdentity("identity", { spec });
  await settle(recorder);
  return realmModelFromResources(recorder.resources);
}
