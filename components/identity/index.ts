export { KeycloakIdentity, type KeycloakIdentityArgs } from "./component";
export { identityEndpoints, type IdentityEndpoints } from "./endpoints";
export { renderRealmSettings, renderUserProfileAttributes } from "./realm";
export { renderAppClient, renderBrowserClient, renderGatewayClient, renderServiceClient } from "./clients";
export { renderGatewayScopeMappers, defaultScopesForCallers, renderServiceTenantClaim } from "./mappers";
export { apiScopesOfClient, renderApiClientScope, type ClientApiScopes } from "./scopes";
