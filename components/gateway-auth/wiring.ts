import type * as keycloak from "@pulumi/keycloak";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ApisixGateway } from "../gateway";
import { KeycloakIdentity, identityEndpoints } from "../identity";
import { ServiceMtls, mtlsArgsOf, type TlsSecretRef } from "../mtls";
import { GatewayNetworkPolicies, networkPoliciesArgsOf } from "../network";
import type { AccessSpec } from "../access-spec";

export interface GatewayAuthProviders {
  keycloak?: keycloak.Provider;
  kubernetes?: k8s.Provider;
}

export interface GatewayAuthParts {
  identity: KeycloakIdentity;
  mtls: ServiceMtls;
  gateway: ApisixGateway;
  network: GatewayNetworkPolicies;
}

/**
 * Every capability for one access spec, wired in the order a first deployment
 * needs: the realm; the PKI; the gateway (its namespace first, the mTLS
 * Secret in it); the NetworkPolicies after the gateway's namespace exists.
 * Resource names start with `prefix` (the program uses none: renaming would
 * replace resources, the protected realm included). Several specs in one
 * stack need distinct prefixes and distinct `gateway.name`s. With `parent`,
 * the four components are its children (and take its providers).
 */
export function createGatewayAuth(spec: AccessSpec, providers: GatewayAuthProviders = {}, prefix = "", parent?: pulumi.Resource): GatewayAuthParts {
  const under = parent ? { parent } : {};
  const onCluster = { ...under, ...(providers.kubernetes ? { providers: { kubernetes: providers.kubernetes } } : {}) };
  const identity = new KeycloakIdentity(
    `${prefix}identity`,
    { spec },
    { ...under, ...(providers.keycloak ? { providers: { keycloak: providers.keycloak } } : {}) },
  );
  const mtls = new ServiceMtls(`${prefix}mtls`, mtlsArgsOf(spec), onCluster);
  const gateway = new ApisixGateway(
    `${prefix}gateway`,
    { spec, endpoints: identityEndpoints(spec), appClientSecrets: identity.appClientSecrets, upstreamTls: mtls.gatewayTls },
    onCluster,
  );
  const network = new GatewayNetworkPolicies(`${prefix}network`, networkPoliciesArgsOf(spec), { ...onCluster, dependsOn: [gateway] });
  return { identity, mtls, gateway, network };
}

/**
 * What a deployment of one spec offers (GatewayAuth's outputs, and the
 * program's stack outputs: one set, from here).
 */
export interface GatewayAuthOutputs {
  /** The realm's issuer, as tokens carry it in `iss`. */
  issuerUrl: pulumi.Output<string>;
  /** The realm's OpenID discovery document. */
  discoveryUrl: pulumi.Output<string>;
  /** The realm's signing keys (JWKS). */
  jwksUrl: pulumi.Output<string>;
  /** The gateway's (audience) client id. */
  gatewayClientId: pulumi.Output<string>;
  /** Client ids of the browser (PKCE) clients. */
  browserClientIds: pulumi.Output<string[]>;
  /** Client ids of the machine (client credentials) clients. */
  serviceClientIds: pulumi.Output<string[]>;
  /** Machine clients' secrets by client id (secret). */
  serviceClientSecrets: pulumi.Output<{ [clientId: string]: string }>;
  /** Seed users' initial passwords by username (secret; dev stacks only have seed users). */
  seedUserPasswords: pulumi.Output<{ [username: string]: string }>;
  /** The gateway's in-cluster URL. */
  gatewayUrl: pulumi.Output<string>;
  /** The public URLs the gateway answers on. */
  gatewayPublicUrls: pulumi.Output<string[]>;
  /** Checksum of the gateway's rendered configuration (changes roll the pods). */
  gatewayConfigChecksum: pulumi.Output<string>;
  /** The CA services trust for the gateway's client certificate (PEM). */
  mtlsCaCertPem: pulumi.Output<string>;
  /** Each service's mTLS Secret (namespace, name), by service name. */
  serviceMtlsSecrets: pulumi.Output<{ [service: string]: TlsSecretRef }>;
  /** `namespace/name` of the NetworkPolicies that admit the gateway only. */
  networkPolicyNames: pulumi.Output<string[]>;
}

export function gatewayAuthOutputs({ identity, mtls, gateway, network }: GatewayAuthParts): GatewayAuthOutputs {
  return {
    issuerUrl: identity.issuerUrl,
    discoveryUrl: identity.discoveryUrl,
    jwksUrl: identity.jwksUrl,
    gatewayClientId: identity.gatewayClientId,
    browserClientIds: identity.browserClientIds,
    serviceClientIds: identity.serviceClientIds,
    serviceClientSecrets: identity.serviceClientSecrets,
    seedUserPasswords: identity.seedUserPasswords,
    gatewayUrl: gateway.url,
    gatewayPublicUrls: gateway.publicUrls,
    gatewayConfigChecksum: gateway.configChecksum,
    mtlsCaCertPem: mtls.caCertPem,
    serviceMtlsSecrets: mtls.serviceSecrets,
    networkPolicyNames: network.policyNames,
  };
}
