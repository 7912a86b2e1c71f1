/**
 * The program `pulumi up` runs: read the stack's config once into the access
 * spec, then build every capability from it. Components are importable on
 * their own from `./components` for other stacks.
 */
import * as keycloak from "@pulumi/keycloak";
import { KeycloakIdentity } from "./components/identity";
import { readStackSettings } from "./components/spec";

const { spec, keycloakAdmin } = readStackSettings();

const keycloakProvider = new keycloak.Provider("keycloak", {
  url: keycloakAdmin.url,
  realm: keycloakAdmin.realm,
  clientId: keycloakAdmin.clientId,
  clientSecret: keycloakAdmin.clientSecret,
  basePath: "",
});

const identity = new KeycloakIdentity("identity", { spec }, { providers: { keycloak: keycloakProvider } });

export const environment = spec.environment;
export const issuerUrl = identity.issuerUrl;
export const discoveryUrl = identity.discoveryUrl;
export const jwksUrl = identity.jwksUrl;
export const gatewayClientId = identity.gatewayClientId;
export const browserClientIds = identity.browserClientIds;
export const serviceClientIds = identity.serviceClientIds;
export const serviceClientSecrets = identity.serviceClientSecrets;
export const seedUserPasswords = identity.seedUserPasswords;
