export { createGatewayAuth, type GatewayAuthParts, type GatewayAuthProviders } from "./wiring";
export { GatewayAuth, type GatewayAuthArgs } from "./component";
