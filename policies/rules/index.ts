import type { Policies } from "@pulumi/policy";
import { openidConnectHardening } from "./apisix-rules";
import { gatewayScopesGrantable, tenantClaimEmitted } from "./authorization-rules";
import { accessTokenLifespan, browserClientPkce, noWildcardRedirects, realmSecurity } from "./keycloak-rules";
import {
  containersNonRoot,
  gatewayDrainsBeforeStopping,
  gatewayFastPathWithinMemoryLimit,
  gatewayGraceCoversLongestRequest,
  gatewayWorkersWithinCpuLimit,
  kubernetesObjectsUnique,
  networkPolicyTypes,
  noSecretsInConfigMaps,
} from "./kubernetes-rules";
import { resourcesWaitForWhatTheyName } from "./order-rules";
import { rateLimitsShared } from "./rate-limit-rules";
import { prodTrustNotWidened } from "./trust-rules";
import {
  audienceEmitted,
  browserSessionsWithinKeycloak,
  claimHeadersNotInfrastructure,
  gatewayRolesGranted,
  gatewayRolesReachTokens,
  headerStrippingCoversIdentity,
  issuerMatchesRealm,
  prodUpstreamsMtls,
  routesAuthenticated,
  serviceNamespacesIsolated,
} from "./stack-rules";

/** Every rule of the pack, in the order violations are easiest to read. */
export const policies: Policies = [
  browserClientPkce,
  noWildcardRedirects,
  realmSecurity,
  accessTokenLifespan,
  noSecretsInConfigMaps,
  openidConnectHardening,
  networkPolicyTypes,
  containersNonRoot,
  gatewayDrainsBeforeStopping,
  gatewayGraceCoversLongestRequest,
  gatewayWorkersWithinCpuLimit,
  gatewayFastPathWithinMemoryLimit,
  gatewayRolesReachTokens,
  gatewayRolesGranted,
  audienceEmitted,
  gatewayScopesGrantable,
  tenantClaimEmitted,
  issuerMatchesRealm,
  serviceNamespacesIsolated,
  prodUpstreamsMtls,
  routesAuthenticated,
  headerStrippingCoversIdentity,
  claimHeadersNotInfrastructure,
  browserSessionsWithinKeycloak,
  resourcesWaitForWhatTheyName,
  kubernetesObjectsUnique,
  rateLimitsShared,
  prodTrustNotWidened,
];

export * from "./config";
export type { StackResource } from "./types";
