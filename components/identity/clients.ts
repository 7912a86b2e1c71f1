import type * as keycloak from "@pulumi/keycloak";
import { appCallbackPath, type BrowserAppSpec, type BrowserClientSpec, type ServiceClientSpec } from "../access-spec";

type ClientSettings = Omit<keycloak.openid.ClientArgs, "realmId">;

/** Every flow off; each client type turns on exactly the one it needs. */
const NO_FLOWS = {
  standardFlowEnabled: false,
  implicitFlowEnabled: false,
  directAccessGrantsEnabled: false,
  serviceAccountsEnabled: false,
  consentRequired: false,
} as const;

/** The gateway's own client: the audience tokens must name. Confidential, with no flow of its own. */
export function renderGatewayClient(clientId: string): ClientSettings {
  return { ...NO_FLOWS, clientId, name: "API gateway (audience)", accessType: "CONFIDENTIAL" };
}

/** A machine client: client credentials only, its roles on its service account. */
export function renderServiceClient(client: ServiceClientSpec): ClientSettings {
  return { ...NO_FLOWS, clientId: client.clientId, accessType: "CONFIDENTIAL", serviceAccountsEnabled: true };
}

/**
 * A browser app: public, authorization code with PKCE S256, exact redirect
 * URIs, no implicit or password grant; a third-party app asks its users to
 * consent to the scopes it requests (`consentRequired`).
 */
export function renderBrowserClient(client: BrowserClientSpec): ClientSettings {
  return {
    ...NO_FLOWS,
    consentRequired: client.consentRequired,
    clientId: client.clientId,
    accessType: "PUBLIC",
    standardFlowEnabled: true,
    pkceCodeChallengeMethod: "S256",
    validRedirectUris: [...client.redirectUris],
    webOrigins: [...client.webOrigins],
    validPostLogoutRedirectUris: [...client.postLogoutRedirectUris],
  };
}

/**
 * The gateway's client for a browser app it signs users in for: confidential
 * (the secret stays at the gateway), code flow with PKCE S256, exact redirect
 * and post-logout URIs, refresh tokens on, and Keycloak's client session
 * following the app's session lifetime (seconds).
 */
export function renderAppClient(app: BrowserAppSpec): ClientSettings {
  const callback = `${app.origin}${appCallbackPath(app)}`;
  return {
    ...NO_FLOWS,
    clientId: app.clientId,
    name: `${app.name} (signed in at the gateway)`,
    accessType: "CONFIDENTIAL",
    standardFlowEnabled: true,
    pkceCodeChallengeMethod: "S256",
    validRedirectUris: [callback],
    validPostLogoutRedirectUris: [app.postLogoutRedirectUri],
    webOrigins: [app.origin],
    useRefreshTokens: true,
    clientSessionMaxLifespan: String(app.sessionLifetime),
    clientSessionIdleTimeout: String(app.sessionIdleTimeout),
    ...(app.accessTokenLifespan !== undefined ? { accessTokenLifespan: String(app.accessTokenLifespan) } : {}),
  };
}
