import type * as keycloak from "@pulumi/keycloak";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ApisixGateway } from "../gateway";
import { KeycloakIdentity, identityEndpoints } from "../identity";
import { ServiceMtls } from "../mtls";
import { GatewayNetworkPolicies } from "../network";
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
  const mtls = new ServiceMtls(`${prefix}mtls`, { spec }, onCluster);
  const gateway = new ApisixGateway(
    `${prefix}gateway`,
    { spec, endpoints: identityEndpoints(spec), appClientSecrets: identity.appClientSecrets, upstreamTls: mtls.gatewayTls },
    onCluster,
  );
  const network = new GatewayNetworkPolicies(`${prefix}network`, { spec }, { ...onCluster, dependsOn: [gateway] });
  return { identity, mtls, gateway, network };
}
