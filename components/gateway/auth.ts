import type { IdentityEndpoints } from "../identity";
import type { AccessSpec } from "../spec";

/**
 * openid-connect for bearer tokens, validated locally: keys from the realm's
 * JWKS (cached), RS256 only, issuer = the realm's public issuer, audience =
 * the gateway client. The raw token is not copied into X-Access-Token.
 */
export function renderOpenidConnectConf(spec: AccessSpec, endpoints: IdentityEndpoints) {
  return {
    client_id: endpoints.audience,
    discovery: endpoints.discoveryUrl,
    realm: spec.realm.name,
    bearer_only: true,
    use_jwks: true,
    jwk_expires_in: spec.gateway.jwksCacheSeconds,
    token_signing_alg_values_expected: "RS256",
    accept_unsupported_alg: false,
    accept_none_alg: false,
    ssl_verify: true,
    set_access_token_header: false,
    set_id_token_header: false,
    // The identity plugin reads the verified payload from X-Userinfo, then removes it.
    set_userinfo_header: true,
    claim_validator: {
      issuer: { valid_issuers: [endpoints.issuerUrl] },
      audience: { claim: "aud", required: true, match_with_client_id: true },
    },
  };
}

/** acl: the caller needs one of `roles` (taken from ctx.external_user.roles, set by the identity plugin). */
export function renderAclConf(roles: string[]) {
  return {
    allow_labels: { roles: [...roles].sort() },
    external_user_label_field: "$.roles",
    external_user_label_field_key: "roles",
    external_user_label_field_parser: "table",
    rejected_code: 403,
    rejected_msg: "forbidden",
  };
}
