/**
 * The access spec: the one typed model every component reads.
 *
 * `RawAccessSpec` is what a stack's config holds (most fields optional);
 * `AccessSpec` is what `parseAccessSpec` returns: validated, cross-checked and
 * with every default filled in, so components never look at raw config.
 */

import { HttpMethodName, RateLimitStoreType, SpecEnvironment, SslRequiredLevel, StoreUnavailablePolicy } from "./input";

// The enumerations are declared once, with the input (input.ts).
export const ENVIRONMENTS: readonly SpecEnvironment[] = Object.values(SpecEnvironment);
export type Environment = SpecEnvironment;

export const HTTP_METHODS: readonly HttpMethodName[] = Object.values(HttpMethodName);
export type HttpMethod = HttpMethodName;

export const SSL_REQUIRED_LEVELS: readonly SslRequiredLevel[] = Object.values(SslRequiredLevel);
export const RATE_LIMIT_STORE_TYPES: readonly RateLimitStoreType[] = Object.values(RateLimitStoreType);
export const STORE_UNAVAILABLE_POLICIES: readonly StoreUnavailablePolicy[] = Object.values(StoreUnavailablePolicy);

/** Where Keycloak lives: what tokens say (public) and what the gateway fetches keys from (in cluster). */
export interface KeycloakEndpointsSpec {
  /** Base URL users and tokens see, e.g. https://auth.example.com. The token issuer is `<publicUrl>/realms/<realm>`. */
  publicUrl: string;
  /** Base URL reachable from the gateway pods, e.g. http://keycloak.keycloak.svc.cluster.local:8080. */
  internalUrl: string;
  /** Namespace Keycloak runs in (the gateway's egress is opened to it). */
  namespace: string;
  /** Port of the in-cluster Keycloak service. Derived from internalUrl. */
  port: number;
  /** Labels of the Keycloak pods the gateway may reach (empty: every pod in the namespace). */
  podSelector: Record<string, string>;
  /**
   * Whether Keycloak runs with `hostname-backchannel-dynamic=true`, so the
   * discovery document the gateway fetches in cluster names in-cluster
   * back-channel endpoints (JWKS). Undefined: the stack does not say (a warning).
   */
  hostnameBackchannelDynamic?: boolean;
}

export interface RoleSpec {
  name: string;
  description: string;
  /**
   * The role is given outside the spec (by an admin in Keycloak, or an
   * identity provider's mapper), so a rule may require it though no group
   * or service client grants it. Default false: such a rule is refused.
   */
  grantedOutsideSpec: boolean;
}

/**
 * An OAuth 2.0 scope an API offers (`orders:read`), declared once: rules
 * require it, Keycloak gets a client scope of that name, and the clients
 * listed may obtain it.
 */
export interface ApiScopeSpec {
  name: string;
  /** Shown to users on the consent screen of clients that ask for consent. */
  description: string;
  /**
   * Client ids that may obtain the scope. A service client is granted it
   * (every client-credentials token carries it); a browser client or an
   * app's client gets it by default when `browserDefault`, else when it asks
   * for it (`scope=` at sign-in; an app lists it in `apps[].scopes`).
   */
  clients: string[];
  /** Browser clients and apps get it without asking. Default false: they ask for what they need. */
  browserDefault: boolean;
}

export interface GroupSpec {
  name: string;
  roles: string[];
}

/** Token and session lifetimes, in seconds once parsed. Config takes duration strings ("5m", "8h"). */
export interface TokenLifetimesSpec {
  accessTokenLifespan: number;
  ssoSessionIdleTimeout: number;
  ssoSessionMaxLifespan: number;
}

export type SslRequired = SslRequiredLevel;

export interface RealmSpec {
  name: string;
  displayName: string;
  roles: RoleSpec[];
  groups: GroupSpec[];
  /** OAuth 2.0 scopes rules may require (none by default). */
  scopes: ApiScopeSpec[];
  /** User attribute (and access-token claim) that names the caller's tenant. */
  tenantAttribute: string;
  tokens: TokenLifetimesSpec;
  sslRequired: SslRequired;
  passwordPolicy: string;
}

export interface GatewayClientSpec {
  /** OAuth client_id of the gateway; every calling client's tokens carry it in `aud`. */
  clientId: string;
}

export interface BrowserClientSpec {
  clientId: string;
  redirectUris: string[];
  webOrigins: string[];
  postLogoutRedirectUris: string[];
  /** A third-party app: Keycloak asks the user to consent to the scopes it requests. Default false (first-party). */
  consentRequired: boolean;
}

export interface ServiceClientSpec {
  clientId: string;
  /** Realm roles granted to the client's service account. */
  roles: string[];
  /** Tenant written into the client's tokens as the tenant claim. */
  tenant: string;
}

export interface ClientsSpec {
  gateway: GatewayClientSpec;
  browser: BrowserClientSpec[];
  service: ServiceClientSpec[];
}

export interface AccessRuleSpec {
  methods: HttpMethod[];
  /** Realm roles of which the caller needs at least one. */
  roles: string[];
  /**
   * Scopes (declared in realm.scopes) the token's `scope` claim must carry,
   * every one of them, on top of one of `roles`. Missing one: 403
   * `insufficient_scope` (RFC 6750 3.1). Default: none.
   */
  scopes: string[];
  /** This rule's limit per caller; overrides the route's and the gateway's default. */
  rateLimit?: RateLimitSpec;
}

/**
 * At most `requests` per `windowSeconds` per caller, on one route (or rule):
 * the verified subject for user tokens, the client for service accounts, the
 * client address on public routes. Over it: 429 with Retry-After.
 */
export interface RateLimitSpec {
  requests: number;
  windowSeconds: number;
}

/** Where the gateway keeps its rate-limit counters. */
export interface RateLimitStoreSpec {
  /**
   * local: in each replica's memory, so N replicas allow N times each limit
   * (dev's default; refused in prod with more than one replica). redis /
   * redis-cluster: one budget shared by every replica (and gateway) using it.
   */
  type: RateLimitStoreType;
  /** host:port of the Redis server, or of the cluster's seed nodes. */
  addresses: string[];
  /** Where the Redis pods run: the gateway's NetworkPolicy admits egress to them on the addresses' ports. */
  namespace?: string;
  podSelector: Record<string, string>;
  /** The Kubernetes Secret (in the gateway's namespace) and key holding the Redis password; read as `$env://`, never in a ConfigMap. */
  passwordSecret?: { name: string; key: string };
  /** redis only: the database index. */
  database: number;
  timeoutMs: number;
  /** While the store cannot be reached: deny (500, the default: limits hold) or allow (requests pass unlimited). */
  whenUnavailable: StoreUnavailablePolicy;
}

export interface GatewayRateLimitsSpec {
  /** Every protected and public route's limit unless it sets its own. None: only routes that set one are limited. */
  default?: RateLimitSpec;
  store: RateLimitStoreSpec;
  /** Send X-RateLimit-Limit / -Remaining / -Reset with every limited response (Retry-After on 429 is always sent). */
  headers: boolean;
}

export interface RouteSpec {
  /**
   * Exact path (`/api/orders`) or prefix (`/api/orders/*`). One segment may be
   * `{tenant}` (protected routes): it matches any one segment, which must
   * equal the token's tenant claim exactly (403 `tenant_mismatch` otherwise).
   */
  path: string;
  /** Anonymous access for `methods`; identity headers are still stripped. */
  public: boolean;
  /** For public routes: the methods open to anyone. Empty for protected routes. */
  methods: HttpMethod[];
  /** For protected routes: which roles may use which methods. Any other method is refused. */
  rules: AccessRuleSpec[];
  /** This route's limit per caller (each rule its own budget); overrides the gateway's default. */
  rateLimit?: RateLimitSpec;
}

export interface ServiceSpec {
  name: string;
  namespace: string;
  port: number;
  /** Label selector of the service's pods (defaults to `app: <name>`). */
  podSelector: Record<string, string>;
  /** The gateway talks TLS to this service with its client certificate, and verifies the service's certificate. */
  mtls: boolean;
  /**
   * Opt-out: let X-HTTP-Method-Override (and its kind) and a `_method`
   * parameter through to this service. Off: they would make frameworks run
   * another method than the one the gateway authorized.
   */
  allowMethodOverride: boolean;
  /** Opt-in: forward the caller's bearer token (Authorization) to this service, which then holds a credential it could replay. */
  forwardBearerToken: boolean;
  /** How long the gateway waits on this service; a request that outlasts them gets 504 (see `UpstreamTimeoutsSpec`). */
  timeouts: UpstreamTimeoutsSpec;
  routes: RouteSpec[];
}

/**
 * Seconds the gateway gives one service, each phase on its own: to accept
 * the connection (and, with mTLS, finish the handshake), to take the request,
 * and between two reads of its answer. A phase that runs out ends the request
 * with 504; a refused or reset connection ends it with 502. The gateway never
 * retries (a retried POST could run twice), so their sum bounds a request.
 */
export interface UpstreamTimeoutsSpec {
  /** @default 5 (1-60) */
  connectSeconds: number;
  /** @default 30 (1-600) */
  sendSeconds: number;
  /** @default 30 (1-600) */
  readSeconds: number;
}

/** The project's own PKI for gateway <-> service mTLS. */
export interface MtlsSpec {
  /** Default of `services[].mtls`. Prod requires mTLS for every service. */
  enabled: boolean;
  caValidityDays: number;
  certificateValidityDays: number;
  /** Certificates are re-issued on the first `pulumi up` this many days before they expire. */
  renewBeforeDays: number;
}

/** A gateway hostname whose callers must present a client certificate issued by a named CA. */
export interface ClientCertificateHostSpec {
  host: string;
  /** PEM of the CA that issues the callers' certificates (public, so it may sit in config). */
  caCertificate: string;
  /** Kubernetes TLS Secret in the gateway namespace holding the host's server certificate. */
  serverCertificateSecret: string;
}

export interface MonitoringAccessSpec {
  namespace: string;
  podSelector: Record<string, string>;
  /** Ports scraped on service pods (the gateway's metrics port is opened too). */
  ports: number[];
}

/** NetworkPolicy options; everything beyond "only the gateway reaches services" is off by default. */
export interface NetworkSpec {
  /** Let pods in a service namespace reach each other. */
  allowSameNamespace: boolean;
  /** Let a monitoring system scrape service pods and the gateway. */
  monitoring?: MonitoringAccessSpec;
  /** Where cluster DNS runs (the gateway's egress to it is opened). */
  dns: { namespace: string; podSelector: Record<string, string> };
}

/** An extra verified claim handed to services as a header. */
export interface ClaimHeaderSpec {
  claim: string;
  header: string;
}

export interface GatewaySpec {
  /** At most one JWKS refetch per this many seconds for tokens under keys the gateway does not know (others get 401). */
  unknownKeyRefetchSeconds: number;
  /**
   * Proxies in front of the gateway (CIDRs) whose X-Forwarded-For chain
   * services may see. Empty: services see the gateway's view of the client
   * address only, whatever a caller sends.
   */
  trustedProxies: string[];
  /** Names this gateway instance: every Kubernetes object it owns, and its pods' instance label. Two instances in one stack need two names. */
  name: string;
  namespace: string;
  replicas: number;
  image: string;
  hostnames: string[];
  /** Extra claim-to-header mappings on top of X-User-ID / X-User-Role / X-Tenant-ID. */
  claimHeaders: ClaimHeaderSpec[];
  /** Pass APISIX's X-Userinfo (base64 JSON of all claims) to services. Off by default. */
  forwardUserinfo: boolean;
  /**
   * The longest a key removed from the realm's JWKS is still trusted, fast
   * path included: the JWKS is cached for half of it and refreshed before that.
   */
  jwksCacheSeconds: number;
  /**
   * The outage policy: while the realm's JWKS cannot be fetched, the last
   * keys fetched stay in use at most this many seconds past their refresh
   * (tokens keep their answer through a Keycloak restart); then 401. A key
   * retires only through a fetch that succeeded. 0: fail closed at once.
   */
  keysStaleIfUnreachableSeconds: number;
  /**
   * Bearer tokens each gateway worker remembers as verified, so that their
   * next requests skip openid-connect's per-request work (the key check,
   * expiry and role rules still apply). 0 turns the fast path off.
   */
  verifiedTokenCacheSize: number;
  /**
   * The fast path's second level, shared by a gateway's workers and bounded
   * in bytes (an nginx shared dict, least recently used out first): every
   * verified token's claims, so more active users than a worker remembers
   * still skip openid-connect. 0 turns it off. Default 32.
   */
  verifiedTokenCacheMegabytes: number;
  /** Hostnames that require client certificates (client -> gateway mTLS). */
  clientCertificateHosts: ClientCertificateHostSpec[];
  resources: { cpuRequest: string; memoryRequest: string; cpuLimit: string; memoryLimit: string };
  rateLimits: GatewayRateLimitsSpec;
  /** Where the decision log goes: one JSON line per request (a path in the gateway container). */
  decisionLogPath: string;
}

export interface SeedUserSpec {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  groups: string[];
  tenant: string;
}

/**
 * A browser app signed in at the gateway (backend-for-frontend): the gateway
 * is the OpenID Connect client, the browser holds only an encrypted HttpOnly
 * session cookie. Spec routes under the app's path prefix use the session
 * instead of bearer tokens, with the same role rules and identity headers.
 */
export interface BrowserAppSpec {
  name: string;
  /** External base URL of the app, e.g. https://shop.example.com/app. */
  url: string;
  /** Derived from url. */
  origin: string;
  host: string;
  pathPrefix: string;
  /** Confidential Keycloak client the gateway signs users in with. */
  clientId: string;
  scopes: string[];
  /** Paths (under the prefix) answered with 401 instead of a redirect to sign-in: XHR/API calls. */
  apiPathPrefixes: string[];
  /** Seconds a sign-in lasts at most; Keycloak's client session follows it. */
  sessionLifetime: number;
  /** Seconds of inactivity that end the session; Keycloak's client session idle follows it. */
  sessionIdleTimeout: number;
  /** Access-token lifespan for this app's client, seconds; the realm's when unset. */
  accessTokenLifespan?: number;
  postLogoutRedirectUri: string;
}

export interface AccessSpec {
  environment: Environment;
  keycloak: KeycloakEndpointsSpec;
  realm: RealmSpec;
  clients: ClientsSpec;
  services: ServiceSpec[];
  gateway: GatewaySpec;
  mtls: MtlsSpec;
  network: NetworkSpec;
  /** Browser apps signed in at the gateway. */
  apps: BrowserAppSpec[];
  /** Users created with generated passwords. Only allowed in dev. */
  seedUsers: SeedUserSpec[];
}
