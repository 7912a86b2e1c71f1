/**
 * What the shared checks need from a tier, whichever it is: the gateway
 * tier (APISIX native or in Docker, the realm played by the npm identity
 * provider) or the Keycloak tier (Docker Keycloak provisioned by this
 * project's identity component). Filled in the tier's beforeAll.
 */
import type { AccessSpec } from "../../../components/access-spec";
import type { Address } from "../support/gateway-runtime";
import type { TokenForge } from "../support/tokens";

export interface FlowContext {
  spec: AccessSpec;
  gateway: Address;
  /** Real tokens from the realm, by matrix caller: each role's machine client, and "no-role" (valid, no declared role). */
  tokens: Record<string, string>;
  /** Signs claim-isolation tokens with a key the realm publishes. */
  forge: TokenForge;
  /** Mints a fresh client-credentials token for a machine client. */
  clientToken(clientId: string): Promise<string>;
  /** The gateway's error log so far. */
  gatewayErrorLog(): Promise<string>;
  /** The gateway's decision log so far (one JSON line per request). */
  decisionLog(): Promise<string>;
  /** The gateway's Prometheus exposition, where the runtime exports data (the official image; not the native kit). */
  metrics?(): Promise<string>;
  /** The echo upstream as a caller outside the gateway reaches it, and the impostor. */
  echoDirect: Address;
  impostorDirect: Address;
  /** The gateway's client certificate and the stack's CA (positive controls for mTLS). */
  gatewayClientCert: { certPem: string; keyPem: string };
  caCertPem: string;
  /** Host[:port] in URLs -> where the test host reaches it (for the test browser). */
  browserAddresses: Record<string, Address>;
  /** Username and password of the seed user who signs in to the portal. */
  portalUser: { username: string; password: string };
  /** Requests the identity provider served at an endpoint so far, where the tier can count them (the gateway tier). */
  idpCalls?: (endpoint: "token" | "jwks" | "discovery") => number;
  /** The realm's keys: rotate (a new key signs from now on) and retire (remove from the JWKS). */
  keys: { rotate(): Promise<void>; retire(kid: string): Promise<void> };
}

/** A getter: checks are registered before beforeAll fills the context. */
export type Ctx = () => FlowContext;
