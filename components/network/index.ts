export { GatewayNetworkPolicies, GatewayNetworkPoliciesArgs } from "./component";
export { renderNetworkPolicies, renderServiceNetworkPolicies, renderGatewayNetworkPolicies, renderKeycloakNetworkPolicies } from "./policies";
