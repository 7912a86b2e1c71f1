export { createGatewayAuth, gatewayAuthOutputs, type GatewayAuthOutputs, type GatewayAuthParts, type GatewayAuthProviders } from "./wiring";
export { GatewayAuth, type GatewayAuthArgs } from "./component";
