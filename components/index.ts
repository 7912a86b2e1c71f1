/**
 * The package's public API, listed on purpose: what a stack of your own
 * uses. Everything else under components/ is internal and may change in any
 * release; test/public-api.test.ts lists this surface, so a change to it is
 * deliberate.
 *
 *   import { GatewayAuth, parseAccessSpec, renderAccessMatrixMarkdown } from "gateway-auth";
 */

// The access spec: one typed, validated model every component reads.
export { parseAccessSpec } from "./access-spec/load";
export { SpecValidationError, type SpecProblem } from "./access-spec/reader";
export type { RawAccessSpec } from "./access-spec/parse";
// The spec as you write it: every field declared with its meaning and default (GatewayAuth's `spec`).
export type * from "./access-spec/input";
export { deploymentWarnings } from "./access-spec/warnings";
// Its types, as parsed (every default filled in): AccessSpec, ServiceSpec, RouteSpec, ...
export type * from "./access-spec/types";

// The components: the whole product in one, or each part on its own.
export { GatewayAuth, type GatewayAuthArgs } from "./gateway-auth/component";
export { KeycloakIdentity, type KeycloakIdentityArgs } from "./identity/component";
export { ApisixGateway, type ApisixGatewayArgs } from "./gateway/component";
export { ServiceMtls, type ServiceMtlsArgs, type TlsSecretRef } from "./mtls/component";
export { MtlsCertificates, type MtlsCertificatesArgs } from "./mtls/certificates";
export { mtlsArgsOf } from "./mtls/args";
export { GatewayNetworkPolicies, type GatewayNetworkPoliciesArgs } from "./network/component";
export { networkPoliciesArgsOf, type NetworkPeer, type NetworkService } from "./network/args";

// The pure renderers a reviewer or a pipeline reads: spec in, documents out.
export { renderGatewayFiles } from "./gateway/standalone";
export { renderAccessMatrix, renderAccessMatrixMarkdown, type AccessMatrixEntry, type Caller, type Outcome } from "./gateway/access-matrix";
export { renderCertificatePlan, renderPkiSummary, type CertificatePlan } from "./mtls/plan";
export { renderNetworkPolicies } from "./network/policies";
export { identityEndpoints, type IdentityEndpoints } from "./identity/endpoints";
