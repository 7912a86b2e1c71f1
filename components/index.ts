/**
 * Public surface for other stacks:
 *
 *   import { parseAccessSpec, KeycloakIdentity, ApisixGateway, ServiceMtls, GatewayNetworkPolicies } from "gateway-auth";
 */
export * from "./spec";
export * from "./identity";
export * from "./gateway";
export * from "./mtls";
export * from "./network";
export * from "./kubernetes";
export * from "./gateway-auth";
