/**
 * The program `pulumi up` runs: read the stack's config once into the access
 * spec, then build every capability from it. Components are importable on
 * their own from `./components` for other stacks.
 */
import * as keycloak from "@pulumi/keycloak";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createGatewayAuth, gatewayAuthOutputs } from "../components/gateway-auth";
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

// The stack's outputs are GatewayAuth's (one set, gatewayAuthOutputs); the components have no parent here, so their
// URNs stay what they have always been (a parent would plan replacing everything, the protected realm included).
const outputs = gatewayAuthOutputs(createGatewayAuth(spec, { keycloak: keycloakProvider, kubernetes: kubernetesProvider }));

export const environment = spec.environment;
export const issuerUrl = outputs.issuerUrl;
export const discoveryUrl = outputs.discoveryUrl;
export const jwksUrl = outputs.jwksUrl;
export const gatewayClientId = outputs.gatewayClientId;
export const browserClientIds = outputs.browserClientIds;
export const serviceClientIds = outputs.serviceClientIds;
export const serviceClientSecrets = outputs.serviceClientSecrets;
export const seedUserPasswords = outputs.seedUserPasswords;
export const gatewayUrl = outputs.gatewayUrl;
export const gatewayPublicUrls = outputs.gatewayPublicUrls;
export const gatewayConfigChecksum = outputs.gatewayConfigChecksum;
export const mtlsCaCertPem = outputs.mtlsCaCertPem;
export const serviceMtlsSecrets = outputs.serviceMtlsSecrets;
export const networkPolicyNames = outputs.networkPolicyNames;
