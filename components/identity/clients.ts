import type * as keycloak from "@pulumi/keycloak";
import type { BrowserClientSpec, ServiceClientSpec } from "../spec";

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

/** A browser app: public, authorization code with PKCE S256, exact redirect URIs, no implicit or password grant. */
export function renderBrowserClient(client: BrowserClientSpec): ClientSettings {
  return {
    ...NO_FLOWS,
    clientId: client.clientId,
    accessType: "PUBLIC",
    standardFlowEnabled: true,
    pkceCodeChallengeMethod: "S256",
    validRedirectUris: [...client.redirectUris],
    webOrigins: [...client.webOrigins],
    validPostLogoutRedirectUris: [...client.postLogoutRedirectUris],
  };
}
