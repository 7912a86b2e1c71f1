/**
 * The program `pulumi up` runs: read the stack's config once into the access
 * spec, then build every capability from it. Components are importable on
 * their own from `./components` for other stacks.
 */
import * as keycloak from "@pulumi/keycloak";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createGatewayAuth } from "../components/gateway-auth";
import { deploymentWarnings } from "../components/access-spec";
import { readStackSettings } from "./stack-settings";

const { spec, keycloakAdmin, kubernetesContext } = readStackSettings();
for (const warning of deploymentWarnings(spec)) pulumi.log.warn(warning);

const keycloakProvider = new keycloak.Provider("keycloak", {
  url: keycloakAdmin.url,
  realm: keycloakAdmin.realm,
  clientId: keycloakAdmin.clientId,
  clientSecret: keycloakAdmin.clientSecret,
  basePath: "",
});

// Without a context the provider uses the ambient kubeconfig's current context.
const kubernetesProvider = new k8s.Provider("kubernetes", { context: kubernetesContext });

const { identity, mtls, gateway, network } = createGatewayAuth(spec, { keycloak: keycloakProvider, kubernetes: kubernetesProvider });

export const environment = spec.environment;
export const issuerUrl = identity.issuerUrl;
export const discoveryUrl = identity.discoveryUrl;
export const jwksUrl = identity.jwksUrl;
export const gatewayClientId = identity.gatewayClientId;
export const browserClientIds = identity.browserClientIds;
export const serviceClientIds = identity.serviceClientIds;
export const serviceClientSecrets = identity.serviceClientSecrets;
export const seedUserPasswords = identity.seedUserPasswords;
export const gatewayUrl = gateway.url;
export const gatewayPublicUrls = gateway.publicUrls;
export const gatewayConfigChecksum = gateway.configChecksum;
export const mtlsCaCertPem = mtls.caCertPem;
export const serviceMtlsSecrets = mtls.serviceSecrets;
export const networkPolicies = network.policyNames;
