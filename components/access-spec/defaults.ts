import type { Environment, SslRequired, UpstreamTimeoutsSpec } from "./types";

/**
 * What differs per environment when a stack says nothing. Production is
 * strict; dev conveniences are named here and nowhere else.
 */
export interface EnvironmentDefaults {
  accessTokenLifespan: string;
  /** Longest access-token lifespan a stack may configure. */
  maxAccessTokenLifespan: string;
  ssoSessionIdleTimeout: string;
  ssoSessionMaxLifespan: string;
  sslRequired: SslRequired;
  /** Weakest `sslRequired` a stack may configure. */
  minimumSslRequired: SslRequired;
  gatewayReplicas: number;
  minimumGatewayReplicas: number;
  /** Dev convenience: plain-http Keycloak public URL and redirect URIs, wildcard redirect URIs. */
  allowInsecureUrls: boolean;
  allowWildcardRedirects: boolean;
  allowSeedUsers: boolean;
  /** Dev/staging convenience: a service may opt out of mTLS (`services[].mtls: false`). */
  allowPlaintextUpstreams: boolean;
}

export const ENVIRONMENT_DEFAULTS: Record<Environment, EnvironmentDefaults> = {
  dev: {
    accessTokenLifespan: "15m",
    maxAccessTokenLifespan: "1h",
    ssoSessionIdleTimeout: "30m",
    ssoSessionMaxLifespan: "10h",
    sslRequired: "external",
    minimumSslRequired: "none",
    gatewayReplicas: 1,
    minimumGatewayReplicas: 1,
    allowInsecureUrls: true,
    allowWildcardRedirects: true,
    allowSeedUsers: true,
    allowPlaintextUpstreams: true,
  },
  staging: {
    accessTokenLifespan: "5m",
    maxAccessTokenLifespan: "15m",
    ssoSessionIdleTimeout: "30m",
    ssoSessionMaxLifespan: "10h",
    sslRequired: "all",
    minimumSslRequired: "external",
    gatewayReplicas: 2,
    minimumGatewayReplicas: 2,
    allowInsecureUrls: false,
    allowWildcardRedirects: false,
    allowSeedUsers: false,
    allowPlaintextUpstreams: true,
  },
  prod: {
    accessTokenLifespan: "5m",
    maxAccessTokenLifespan: "15m",
    ssoSessionIdleTimeout: "30m",
    ssoSessionMaxLifespan: "10h",
    sslRequired: "all",
    minimumSslRequired: "all",
    gatewayReplicas: 3,
    minimumGatewayReplicas: 2,
    allowInsecureUrls: false,
    allowWildcardRedirects: false,
    allowSeedUsers: false,
    allowPlaintextUpstreams: false,
  },
};

export const SSL_REQUIRED_STRENGTH: Record<SslRequired, number> = { none: 0, external: 1, all: 2 };

export const DEFAULT_PASSWORD_POLICY = "length(12) and upperCase(1) and lowerCase(1) and digits(1) and specialChars(1) and notUsername and passwordHistory(5)";

export const DEFAULT_GATEWAY_IMAGE = "apache/apisix:3.18.0-debian";
export const DEFAULT_TENANT_ATTRIBUTE = "tenant_id";
/** JWKS cache: short enough that a retired key stops being trusted within minutes, long enough to spare Keycloak. */
export const DEFAULT_JWKS_CACHE_SECONDS = 300;
/**
 * Tokens each gateway worker remembers as verified (the fast path; least
 * recently used out first). About 3.2 KB each for a 1.3 KB Keycloak token,
 * plus about 1.1 KB for each route rule it is used on (measured with LuaJIT
 * and resty.lrucache): about 8.6 MB per worker when each is used on one rule.
 */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 2_000;
/**
 * The fast path's shared level, per gateway pod: at about 2.5 KB a typical
 * Keycloak token (header and claims), 32 MB holds some 12,000 active users.
 */
export const DEFAULT_VERIFIED_TOKEN_CACHE_MEGABYTES = 32;

/**
 * How long the last fetched keys outlive an unreachable realm (past their
 * refresh): a Keycloak restart or upgrade takes minutes; a retired key is
 * still dropped by the first fetch that succeeds.
 */
export const DEFAULT_KEYS_STALE_IF_UNREACHABLE_SECONDS = 300;

/**
 * What a service gets when it says nothing: 5 s to accept a connection (a
 * healthy pod on the cluster network takes milliseconds), 30 s to take a
 * request and between two reads of its answer (nginx's own 60 s is long for an
 * API, and every second of it is a second a rollout must wait).
 */
export const DEFAULT_UPSTREAM_TIMEOUTS: UpstreamTimeoutsSpec = { connectSeconds: 5, sendSeconds: 30, readSeconds: 30 };
