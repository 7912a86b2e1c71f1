import type { ResourceValidationPolicy } from "@pulumi/policy";
import { apisixDocumentOf, pluginConfs } from "./apisix";
import { TYPES } from "./types";

/** What makes openid-connect a local, strict bearer-token check. */
const REQUIRED: Array<{ check: (c: Record<string, any>) => boolean; fix: string }> = [
  { check: (c) => c.bearer_only === true, fix: "bearer_only: true" },
  { check: (c) => c.use_jwks === true, fix: "use_jwks: true (validate locally against the realm's keys)" },
  { check: (c) => Array.isArray(c.claim_validator?.issuer?.valid_issuers) && c.claim_validator.issuer.valid_issuers.length > 0, fix: "claim_validator.issuer.valid_issuers: [<public issuer>]" },
  { check: (c) => c.claim_validator?.audience?.match_with_client_id === true, fix: "claim_validator.audience.match_with_client_id: true" },
  { check: (c) => c.token_signing_alg_values_expected === "RS256", fix: 'token_signing_alg_values_expected: "RS256"' },
  { check: (c) => c.accept_unsupported_alg === false, fix: "accept_unsupported_alg: false (APISIX's default is true)" },
  { check: (c) => c.accept_none_alg !== true, fix: "accept_none_alg: false" },
];

export const openidConnectHardening: ResourceValidationPolicy = {
  name: "apisix-openid-connect-hardening",
  description: "Every APISIX openid-connect configuration validates bearer tokens locally with RS256 pinned, an issuer list and audience matching.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.configMap) return;
    const doc = apisixDocumentOf(args.props);
    if (!doc) return;
    for (const { where, conf } of pluginConfs(doc, "openid-connect")) {
      for (const r of REQUIRED) if (!r.check(conf)) report(`openid-connect on ${where} (ConfigMap ${args.props.metadata?.name}) is missing ${r.fix}.`);
    }
  },
};
