import * as keycloak from "@pulumi/keycloak";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { GATEWAY_SCOPE_NAME, GRANTED_OUTSIDE_SPEC_ATTRIBUTE, PACKAGE, type AccessSpec, type SeedUserSpec } from "../access-spec";
import { defaultScopesForCallers, renderGatewayScopeMappers, renderServiceTenantClaim } from "./mappers";
import { renderAppClient, renderBrowserClient, renderGatewayClient, renderServiceClient } from "./clients";
import { identityEndpoints } from "./endpoints";
import { renderRealmSettings, renderUserProfileAttributes } from "./realm";
import { apiScopesOfClient, renderApiClientScope } from "./scopes";

export interface KeycloakIdentityArgs {
  /** The validated access spec (see `parseAccessSpec`). */
  spec: AccessSpec;
  /**
   * Protect the realm (Pulumi `protect`): deleting it, or replacing it after
   * a rename of this component, fails instead of dropping every user. Default
   * true; false only for throwaway realms (tests, previews of a new stack).
   */
  protectRealm?: boolean;
}

/**
 * The Keycloak half of the access spec: a hardened realm, its roles and
 * groups, the tenant attribute, the gateway's audience client, machine and
 * browser clients, and (dev only) seed users. Pass the Keycloak provider
 * through `opts.providers`.
 */
export class KeycloakIdentity extends pulumi.ComponentResource {
  readonly realmId: pulumi.Output<string>;
  readonly issuerUrl: pulumi.Output<string>;
  readonly discoveryUrl: pulumi.Output<string>;
  readonly jwksUrl: pulumi.Output<string>;
  readonly gatewayClientId: pulumi.Output<string>;
  readonly gatewayClientSecret: pulumi.Output<string>;
  readonly browserClientIds: pulumi.Output<string[]>;
  readonly serviceClientIds: pulumi.Output<string[]>;
  /** client_id -> client secret of each machine client. Secret. */
  readonly serviceClientSecrets: pulumi.Output<Record<string, string>>;
  /** username -> generated password of each seed user. Secret; empty outside dev. */
  readonly seedUserPasswords: pulumi.Output<Record<string, string>>;
  /** app name -> client secret of the gateway's client for that browser app. Secret. */
  readonly appClientSecrets: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: KeycloakIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PACKAGE}:index:KeycloakIdentity`, name, {}, opts);
    const { spec } = args;
    const child = { parent: this };

    const realm = new keycloak.Realm(
      `${name}-realm`,
      { realm: spec.realm.name, ...renderRealmSettings(spec) },
      { ...child, protect: args.protectRealm ?? true },
    );
    const realmId = realm.id;
    const profile = new keycloak.RealmUserProfile(`${name}-user-profile`, { realmId, attributes: renderUserProfileAttributes(spec) }, child);

    const roles = new Map(
      spec.realm.roles.map((r) => [
        r.name,
        new keycloak.Role(
          `${name}-role-${r.name}`,
          // A role given outside the spec says so on the role itself, where the policy pack sees it.
          { realmId, name: r.name, description: r.description, ...(r.grantedOutsideSpec ? { attributes: { [GRANTED_OUTSIDE_SPEC_ATTRIBUTE]: "true" } } : {}) },
          child,
        ),
      ]),
    );
    const groups = new Map(
      spec.realm.groups.map((g) => [
        g.name,
        this.group(
          name,
          realmId,
          g.name,
          g.roles.map((r) => roles.get(r)!),
        ),
      ]),
    );

    const gatewayClient = new keycloak.openid.Client(
      `${name}-client-${spec.clients.gateway.clientId}`,
      { realmId, ...renderGatewayClient(spec.clients.gateway.clientId) },
      child,
    );
    const gatewayScope = this.gatewayScope(name, spec, realmId, gatewayClient);
    // The API's OAuth 2.0 scopes (realm.scopes): one client scope each, attached to the clients that may obtain it.
    const apiScopes = new Map(
      spec.realm.scopes.map((s) => [
        s.name,
        new keycloak.openid.ClientScope(`${name}-api-scope-${s.name.replace(/:/g, "%3A")}`, { realmId, ...renderApiClientScope(s) }, child),
      ]),
    );
    const scopes = { gateway: gatewayScope, api: apiScopes };

    const serviceSecrets: Record<string, pulumi.Output<string>> = {};
    for (const c of spec.clients.service) {
      const client = this.callingClient(name, spec, realmId, c.clientId, renderServiceClient(c), scopes);
      new keycloak.openid.HardcodedClaimProtocolMapper(
        `${name}-client-${c.clientId}-tenant`,
        { realmId, clientId: client.id, ...renderServiceTenantClaim(spec, c.tenant) },
        child,
      );
      for (const role of c.roles) {
        const dependsOn = [roles.get(role)!];
        new keycloak.openid.ClientServiceAccountRealmRole(
          `${name}-client-${c.clientId}-role-${role}`,
          { realmId, serviceAccountUserId: client.serviceAccountUserId, role },
          { ...child, dependsOn },
        );
      }
      serviceSecrets[c.clientId] = client.clientSecret;
    }
    for (const c of spec.clients.browser) this.callingClient(name, spec, realmId, c.clientId, renderBrowserClient(c), scopes);
    const appSecrets = Object.fromEntries(
      spec.apps.map((a) => [a.name, this.callingClient(name, spec, realmId, a.clientId, renderAppClient(a), scopes).clientSecret]),
    );

    const passwords = Object.fromEntries(spec.seedUsers.map((u) => [u.username, this.seedUser(name, spec, realmId, u, groups, profile)]));

    const endpoints = identityEndpoints(spec);
    this.realmId = realmId;
    this.issuerUrl = pulumi.output(endpoints.issuerUrl);
    this.discoveryUrl = pulumi.output(endpoints.discoveryUrl);
    this.jwksUrl = pulumi.output(endpoints.jwksUrl);
    this.gatewayClientId = gatewayClient.clientId;
    // The SDK marks client secrets secret only through the engine; say it here so it holds everywhere (mocks included).
    this.gatewayClientSecret = pulumi.secret(gatewayClient.clientSecret);
    this.browserClientIds = pulumi.output(spec.clients.browser.map((c) => c.clientId));
    this.serviceClientIds = pulumi.output(spec.clients.service.map((c) => c.clientId));
    this.serviceClientSecrets = pulumi.secret(pulumi.all(serviceSecrets));
    this.seedUserPasswords = pulumi.secret(pulumi.all(passwords));
    this.appClientSecrets = pulumi.secret(pulumi.all(appSecrets));
    this.registerOutputs({
      realmId: this.realmId,
      issuerUrl: this.issuerUrl,
      discoveryUrl: this.discoveryUrl,
      jwksUrl: this.jwksUrl,
      gatewayClientId: this.gatewayClientId,
      gatewayClientSecret: this.gatewayClientSecret,
      browserClientIds: this.browserClientIds,
      serviceClientIds: this.serviceClientIds,
      serviceClientSecrets: this.serviceClientSecrets,
      seedUserPasswords: this.seedUserPasswords,
      appClientSecrets: this.appClientSecrets,
    });
  }

  private group(name: string, realmId: pulumi.Output<string>, groupName: string, roles: keycloak.Role[]): keycloak.Group {
    const group = new keycloak.Group(`${name}-group-${groupName}`, { realmId, name: groupName }, { parent: this });
    if (roles.length > 0) {
      new keycloak.GroupRoles(
        `${name}-group-${groupName}-roles`,
        { realmId, groupId: group.id, roleIds: roles.map((r) => r.id), exhaustive: true },
        { parent: this },
      );
    }
    return group;
  }

  /** The client scope carrying realm roles, tenant and audience into every caller's access token. */
  private gatewayScope(name: string, spec: AccessSpec, realmId: pulumi.Output<string>, gatewayClient: keycloak.openid.Client): keycloak.openid.ClientScope {
    const child = { parent: this };
    const scope = new keycloak.openid.ClientScope(
      `${name}-scope-${GATEWAY_SCOPE_NAME}`,
      { realmId, name: GATEWAY_SCOPE_NAME, description: "Claims the API gateway needs: realm roles, tenant, audience", includeInTokenScope: false },
      child,
    );
    const m = renderGatewayScopeMappers(spec);
    const target = { realmId, clientScopeId: scope.id };
    new keycloak.openid.UserRealmRoleProtocolMapper(`${name}-mapper-realm-roles`, { ...target, ...m.realmRoles }, child);
    new keycloak.openid.UserAttributeProtocolMapper(`${name}-mapper-tenant`, { ...target, ...m.tenant }, child);
    // It names the gateway client by its client_id (a plain string): the provider checks at create time that it exists.
    new keycloak.openid.AudienceProtocolMapper(`${name}-mapper-audience`, { ...target, ...m.audience }, { ...child, dependsOn: [gatewayClient] });
    return scope;
  }

  /**
   * A client that calls the gateway: its default scopes include the gateway
   * scope and the API scopes it is granted; its optional scopes are the API
   * scopes it may ask for, and nothing else (Keycloak's built-in optional
   * scopes, offline_access included, are not offered to it).
   */
  private callingClient(
    name: string,
    spec: AccessSpec,
    realmId: pulumi.Output<string>,
    clientId: string,
    settings: Omit<keycloak.openid.ClientArgs, "realmId">,
    scopes: { gateway: keycloak.openid.ClientScope; api: Map<string, keycloak.openid.ClientScope> },
  ): keycloak.openid.Client {
    const child = { parent: this };
    const client = new keycloak.openid.Client(`${name}-client-${clientId}`, { realmId, ...settings }, child);
    const api = apiScopesOfClient(spec, clientId);
    const named = (names: string[]) => names.map((s) => scopes.api.get(s)!.name);
    const defaultScopes = [
      ...defaultScopesForCallers().map((s) => (s === GATEWAY_SCOPE_NAME ? scopes.gateway.name : pulumi.output(s))),
      ...named(api.defaults),
    ];
    new keycloak.openid.ClientDefaultScopes(`${name}-client-${clientId}-default-scopes`, { realmId, clientId: client.id, defaultScopes }, child);
    if (api.optional.length > 0) {
      new keycloak.openid.ClientOptionalScopes(
        `${name}-client-${clientId}-optional-scopes`,
        { realmId, clientId: client.id, optionalScopes: named(api.optional) },
        child,
      );
    }
    return client;
  }

  private seedUser(
    name: string,
    spec: AccessSpec,
    realmId: pulumi.Output<string>,
    user: SeedUserSpec,
    groups: Map<string, keycloak.Group>,
    profile: keycloak.RealmUserProfile,
  ): pulumi.Output<string> {
    const child = { parent: this };
    const password = new random.RandomPassword(
      `${name}-user-${user.username}-password`,
      { length: 24, special: true, minUpper: 1, minLower: 1, minNumeric: 1, minSpecial: 1 },
      child,
    );
    const created = new keycloak.User(
      `${name}-user-${user.username}`,
      {
        realmId,
        username: user.username,
        email: user.email,
        emailVerified: true,
        firstName: user.firstName,
        lastName: user.lastName,
        enabled: true,
        attributes: { [spec.realm.tenantAttribute]: user.tenant },
        // Secret explicitly: the SDK's own secret marking of `result` is not applied everywhere (mocks, older engines).
        initialPassword: { value: pulumi.secret(password.result), temporary: false },
        // Keycloak 24+ silently drops attributes its user profile does not declare: the tenant must be declared first.
      },
      { ...child, dependsOn: [profile] },
    );
    if (user.groups.length > 0) {
      new keycloak.UserGroups(
        `${name}-user-${user.username}-groups`,
        { realmId, userId: created.id, groupIds: user.groups.map((g) => groups.get(g)!.id), exhaustive: true },
        child,
      );
    }
    return pulumi.secret(password.result);
  }
}
