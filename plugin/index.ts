/**
 * Entry point of the multi-language component package (PulumiPlugin.yaml):
 * Pulumi runs this module and serves every ComponentResource it exports. Only
 * `GatewayAuth` is exported here because it is the component whose args are
 * plain values; the library's other components take the typed spec and each
 * other's outputs, which only TypeScript can build.
 */
export { GatewayAuth } from "../components/gateway-auth/component";
