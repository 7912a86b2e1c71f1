/**
 * Entry point of the multi-language component package (PulumiPlugin.yaml):
 * Pulumi runs this module and serves every ComponentResource it exports. Only
 * `GatewayAuth` is offered: `KeycloakIdentity` and `ApisixGateway` take the
 * parsed spec and each other's outputs, which only TypeScript builds; the
 * intent-level args of `GatewayNetworkPolicies` and `ServiceMtls` are plain
 * values, but use intersection types Pulumi's schema inference refuses, and no
 * other-language user has asked for the parts alone yet.
 */
export { GatewayAuth } from "../components/gateway-auth/component";
