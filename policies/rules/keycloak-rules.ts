import type { ResourceValidationPolicy } from "@pulumi/policy";
import { parseDuration } from "../contract/durations";
import { redirectWildcardHonoured } from "../contract/names";
import { ENVIRONMENT_CONFIG, environmentOf } from "./config";
import { TYPES } from "./types";

/** Browser (public) clients: code flow with PKCE S256, never implicit or password grant. */
export const browserClientPkce: ResourceValidationPolicy = {
  name: "keycloak-browser-client-pkce",
  description: "Public Keycloak clients use the authorization code flow with PKCE S256 and neither the implicit flow nor the password grant.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.client) return;
    const p = args.props;
    const id = p.clientId ?? args.name;
    if (p.implicitFlowEnabled) report(`client "${id}" enables the implicit flow, which leaks tokens in URLs. Set implicitFlowEnabled: false.`);
    if (p.accessType !== "PUBLIC") return;
    if (p.directAccessGrantsEnabled)
      report(`public client "${id}" enables the password grant (directAccessGrantsEnabled). Turn it off: browser apps use the code flow.`);
    if (p.standardFlowEnabled && p.pkceCodeChallengeMethod !== "S256") {
      report(
        `public client "${id}" uses the code flow without PKCE S256 (pkceCodeChallengeMethod is ${JSON.stringify(p.pkceCodeChallengeMethod)}). Set pkceCodeChallengeMethod: "S256".`,
      );
    }
  },
};

/** Exact redirect URIs and origins outside dev. */
export const noWildcardRedirects: ResourceValidationPolicy = {
  name: "keycloak-no-wildcard-redirects",
  description:
    "Outside dev, client redirect URIs, post-logout redirect URIs and web origins are exact (no '*'); in dev a redirect URI's '*' is one Keycloak honours (last, after a path).",
  enforcementLevel: "mandatory",
  configSchema: ENVIRONMENT_CONFIG,
  validateResource: (args, report) => {
    if (args.type !== TYPES.client) return;
    const dev = environmentOf(args.getConfig()).environment === "dev";
    const id = args.props.clientId ?? args.name;
    for (const field of ["validRedirectUris", "validPostLogoutRedirectUris", "webOrigins"]) {
      for (const uri of (args.props[field] ?? []) as string[]) {
        if (!dev && uri.includes("*")) report(`client "${id}" ${field} contains wildcard "${uri}". List the exact URIs (wildcards are allowed only in dev).`);
        else if (dev && field !== "webOrigins" && !redirectWildcardHonoured(uri))
          report(`client "${id}" ${field} has "${uri}": Keycloak matches a wildcard only at the very end, after the host and a "/"; this one never matches.`);
      }
    }
  },
};

/** SSL and brute-force detection on every realm. */
export const realmSecurity: ResourceValidationPolicy = {
  name: "keycloak-realm-ssl-and-brute-force",
  description: "Realms require SSL outside dev (all requests in prod) and have brute-force detection on.",
  enforcementLevel: "mandatory",
  configSchema: ENVIRONMENT_CONFIG,
  validateResource: (args, report) => {
    if (args.type !== TYPES.realm) return;
    const { environment } = environmentOf(args.getConfig());
    const realm = args.props.realm ?? args.name;
    const ssl = args.props.sslRequired ?? "external";
    if (environment !== "dev" && ssl === "none")
      report(`realm "${realm}" has sslRequired "none" in ${environment}. Set sslRequired: "${environment === "prod" ? "all" : "external"}".`);
    if (environment === "prod" && ssl !== "all") report(`realm "${realm}" has sslRequired "${ssl}" in prod. Set sslRequired: "all".`);
    if (!args.props.securityDefenses?.bruteForceDetection) {
      report(`realm "${realm}" has no brute-force detection. Set securityDefenses.bruteForceDetection (e.g. maxLoginFailures: 5).`);
    }
  },
};

/** Short access tokens: the gateway cannot revoke a token before it expires. */
export const accessTokenLifespan: ResourceValidationPolicy = {
  name: "keycloak-access-token-lifespan",
  description: "Realm and client access tokens live no longer than the configured bound (default 15m, 1h in dev).",
  enforcementLevel: "mandatory",
  configSchema: ENVIRONMENT_CONFIG,
  validateResource: (args, report) => {
    const { maxAccessTokenLifespanSeconds: max } = environmentOf(args.getConfig());
    // A client's own lifespan (seconds) overrides the realm's for its tokens.
    if (args.type === TYPES.client && args.props.accessTokenLifespan !== undefined) {
      const seconds = Number(args.props.accessTokenLifespan);
      if (!(seconds <= max!))
        report(
          `client "${args.props.clientId}" issues access tokens for ${args.props.accessTokenLifespan}s, longer than ${max}s. Shorten its accessTokenLifespan.`,
        );
      return;
    }
    if (args.type !== TYPES.realm) return;
    const text = args.props.accessTokenLifespan as string | undefined;
    const realm = args.props.realm ?? args.name;
    if (text === undefined) {
      report(`realm "${realm}" leaves accessTokenLifespan to Keycloak's default. Set it explicitly (at most ${max}s).`);
      return;
    }
    const seconds = parseDuration(text);
    if (seconds === undefined || seconds > max!) report(`realm "${realm}" issues access tokens for ${text}, longer than ${max}s. Shorten accessTokenLifespan.`);
  },
};
