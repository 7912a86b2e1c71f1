/**
 * Public surface for other stacks:
 *
 *   import { parseAccessSpec, KeycloakIdentity } from "gateway-auth/components";
 */
export * from "./spec";
export * from "./identity";
