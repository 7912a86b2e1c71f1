import type { ResourceValidationPolicy } from "@pulumi/policy";
import { apisixDocumentOf, pluginConfs } from "./apisix";
import { TYPES } from "./types";

type Requirement = { check: (c: Record<string, any>) => boolean; fix: string };
const isEnvRef = (v: unknown) => typeof v === "string" && v.startsWith("$env://");

/** What makes openid-connect a local, strict bearer-token check. */
const BEARER: Requirement[] = [
  { check: (c) => c.bearer_only === true, fix: "bearer_only: true" },
  { check: (c) => c.use_jwks === true, fix: "use_jwks: true (validate locally against the realm's keys)" },
  {
    check: (c) => Array.isArray(c.claim_validator?.issuer?.valid_issuers) && c.claim_validator.issuer.valid_issuers.length > 0,
    fix: "claim_validator.issuer.valid_issuers: [<public issuer>]",
  },
  { check: (c) => c.token_signing_alg_values_expected === "RS256", fix: 'token_signing_alg_values_expected: "RS256"' },
  { check: (c) => c.accept_unsupported_alg === false, fix: "accept_unsupported_alg: false (APISIX's default is true)" },
  { check: (c) => c.accept_none_alg !== true, fix: "accept_none_alg: false" },
];

/** What makes openid-connect a safe browser-session client (backend-for-frontend). */
const SESSION: Requirement[] = [
  { check: (c) => c.use_pkce === true, fix: "use_pkce: true" },
  { check: (c) => isEnvRef(c.client_secret), fix: "client_secret as an $env:// reference to a Secret (never inline)" },
  { check: (c) => isEnvRef(c.session?.secret), fix: "session.secret as an $env:// reference to a Secret (never inline)" },
  { check: (c) => c.session?.cookie_http_only === true, fix: "session.cookie_http_only: true (tokens never reach JavaScript)" },
  { check: (c) => ["Lax", "Strict"].includes(c.session?.cookie_same_site), fix: 'session.cookie_same_site: "Lax"' },
  {
    check: (c) => !String(c.redirect_uri ?? "").startsWith("https:") || c.session?.cookie_secure === true,
    fix: "session.cookie_secure: true (the app is served over https)",
  },
  { check: (c) => c.revoke_tokens_on_logout === true, fix: "revoke_tokens_on_logout: true" },
  { check: (c) => c.token_signing_alg_values_expected === "RS256", fix: 'token_signing_alg_values_expected: "RS256"' },
  { check: (c) => c.accept_unsupported_alg === false, fix: "accept_unsupported_alg: false (APISIX's default is true)" },
];

/**
 * openid-connect carries no `_meta`: a filter, `disable`, a priority or a
 * pre_function could skip authentication or run it after the identity
 * plugin. (The verified-token fast path skips it from gateway-key-guard, for
 * one request at a time, never from configuration.)
 */
function unsafeMeta(conf: Record<string, any>): string | undefined {
  const meta = conf._meta;
  return meta === undefined ? undefined : `_meta ${JSON.stringify(meta)}: none is allowed (nothing may decide from configuration when authentication runs)`;
}

/** The identity plugin beside openid-connect checks what openid-connect leaves alone (audience, exp, nbf). */
const IDENTITY_PLUGIN = "gateway-identity";

export const openidConnectHardening: ResourceValidationPolicy = {
  name: "apisix-openid-connect-hardening",
  description:
    "Every APISIX openid-connect configuration is strict: bearer tokens validated locally with RS256 pinned and an issuer list, the audience checked by the identity plugin on the same route; browser sessions with PKCE, secrets from Secrets and HttpOnly cookies.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.configMap) return;
    const doc = apisixDocumentOf(args.props);
    if (!doc) return;
    for (const { where, conf } of pluginConfs(doc, "openid-connect")) {
      const requirements = conf.bearer_only === false ? SESSION : BEARER;
      for (const r of requirements) if (!r.check(conf)) report(`openid-connect on ${where} (ConfigMap ${args.props.metadata?.name}) is missing ${r.fix}.`);
      const meta = unsafeMeta(conf);
      if (meta) report(`openid-connect on ${where} (ConfigMap ${args.props.metadata?.name}) has ${meta}.`);
    }
    // Routes that serve with openid-connect (gateway-answered routes such as the sign-in callback have no identity plugin).
    for (const route of doc.routes ?? []) {
      if (!route.plugins?.["openid-connect"] || !route.upstream_id) continue;
      if (!route.plugins[IDENTITY_PLUGIN]?.audience)
        report(
          `route ${route.id} (ConfigMap ${args.props.metadata?.name}) runs openid-connect without ${IDENTITY_PLUGIN}'s audience: tokens for any client of the realm would be accepted. Set ${IDENTITY_PLUGIN}.audience to the gateway client.`,
        );
    }
  },
};
