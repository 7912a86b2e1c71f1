import { CLAIMS, GATEWAY_SCOPE_NAME, KEYCLOAK_BUILTIN_DEFAULT_SCOPES, type AccessSpec } from "../access-spec";

/**
 * The claims the gateway relies on, all in one client scope that every
 * calling client gets by default. Access token only: ID tokens and userinfo
 * stay as Keycloak makes them.
 */
export function renderGatewayScopeMappers(spec: AccessSpec) {
  const accessTokenOnly = { addToAccessToken: true, addToIdToken: false };
  return {
    realmRoles: { ...accessTokenOnly, name: "realm-roles", claimName: CLAIMS.realmRoles, multivalued: true, addToUserinfo: false },
    tenant: {
      ...accessTokenOnly,
      name: "tenant",
      userAttribute: spec.realm.tenantAttribute,
      claimName: spec.realm.tenantAttribute,
      claimValueType: "String",
      addToUserinfo: false,
    },
    audience: { ...accessTokenOnly, name: "gateway-audience", includedClientAudience: spec.clients.gateway.clientId },
  };
}

/**
 * Default scopes of a calling client. `ClientDefaultScopes` replaces the whole
 * set, so Keycloak's built-ins are listed again (`basic` carries `sub`). The
 * built-in `roles` scope is left out on purpose: realm roles reach the token
 * through the gateway scope's mapper only, one source for `realm_access.roles`.
 */
export function defaultScopesForCallers(): string[] {
  return [...KEYCLOAK_BUILTIN_DEFAULT_SCOPES, GATEWAY_SCOPE_NAME];
}

/** A machine client's tenant is fixed: written as a constant claim on that client. */
export function renderServiceTenantClaim(spec: AccessSpec, tenant: string) {
  return {
    name: "tenant",
    claimName: spec.realm.tenantAttribute,
    claimValue: tenant,
    claimValueType: "String",
    addToAccessToken: true,
    addToIdToken: false,
    addToUserinfo: false,
  };
}
