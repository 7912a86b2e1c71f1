export { GatewayNetworkPolicies, type GatewayNetworkPoliciesArgs } from "./component";
export { networkPoliciesArgsOf, checkNetworkPoliciesArgs, type NetworkPeer, type NetworkService, type NetworkPolicyPlan } from "./args";
export {
  renderNetworkPolicies,
  renderNetworkPoliciesForPlan,
  renderServiceNetworkPolicies,
  renderGatewayNetworkPolicies,
  renderKeycloakNetworkPolicies,
} from "./policies";
