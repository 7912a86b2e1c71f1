import type { AccessSpec } from "../access-spec";

/** Where the realm's tokens come from and where their keys are published. Derived from the spec alone. */
export interface IdentityEndpoints {
  /** `iss` of every token: the public URL, as clients see Keycloak. */
  issuerUrl: string;
  /** Discovery document fetched by the gateway in-cluster. */
  discoveryUrl: string;
  /** JWKS as served in-cluster. */
  jwksUrl: string;
  /** The audience every token meant for the gateway carries. */
  audience: string;
}

export function identityEndpoints(spec: Pick<AccessSpec, "keycloak" | "realm" | "clients">): IdentityEndpoints {
  const realmPath = `/realms/${spec.realm.name}`;
  const internal = `${spec.keycloak.internalUrl}${realmPath}`;
  return {
    issuerUrl: `${spec.keycloak.publicUrl}${realmPath}`,
    discoveryUrl: `${internal}/.well-known/openid-configuration`,
    jwksUrl: `${internal}/protocol/openid-connect/certs`,
    audience: spec.clients.gateway.clientId,
  };
}
