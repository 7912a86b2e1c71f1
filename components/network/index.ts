export { GatewayNetworkPolicies, type GatewayNetworkPoliciesArgs } from "./component";
export { renderNetworkPolicies, renderServiceNetworkPolicies, renderGatewayNetworkPolicies, renderKeycloakNetworkPolicies } from "./policies";
