export { KeycloakIdentity, KeycloakIdentityArgs } from "./component";
export { identityEndpoints, IdentityEndpoints } from "./endpoints";
export { renderRealmSettings, renderUserProfileAttributes } from "./realm";
export { renderAppClient, renderBrowserClient, renderGatewayClient, renderServiceClient } from "./clients";
export { renderGatewayScopeMappers, defaultScopesForCallers, renderServiceTenantClaim } from "./mappers";
