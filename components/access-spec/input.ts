/**
 * The access spec as a user writes it: the typed declaration of every field,
 * with its meaning, default and bounds. It is what `GatewayAuth`'s `spec` arg
 * takes, what Pulumi derives `plugin/schema.json` from (so the Python, Go and
 * .NET SDKs get a typed input), and what `docs/configuration.md`'s field
 * reference is generated from. A test keeps the parser's field names equal to
 * these; `parseAccessSpec` checks the values and fills in the defaults named
 * here (`types.ts` holds the validated result).
 *
 * In YAML stack config a role may also be written as its bare name
 * (`roles: [viewer]`); the typed input takes the object form only.
 */
// Enumerations are `as const` objects: the form Pulumi's schema inference turns into schema enums.

/** Which environment a stack is: it selects the defaults and bounds. */
export const SpecEnvironment = { dev: "dev", staging: "staging", prod: "prod" } as const;
export type SpecEnvironment = (typeof SpecEnvironment)[keyof typeof SpecEnvironment];

/** An HTTP method a rule or public route allows. */
export const HttpMethodName = { GET: "GET", HEAD: "HEAD", POST: "POST", PUT: "PUT", PATCH: "PATCH", DELETE: "DELETE", OPTIONS: "OPTIONS" } as const;
export type HttpMethodName = (typeof HttpMethodName)[keyof typeof HttpMethodName];

/** Keycloak's `sslRequired`: which requests must use https. */
export const SslRequiredLevel = { none: "none", external: "external", all: "all" } as const;
export type SslRequiredLevel = (typeof SslRequiredLevel)[keyof typeof SslRequiredLevel];

/** Where rate-limit counters live. */
export const RateLimitStoreType = { local: "local", redis: "redis", redisCluster: "redis-cluster" } as const;
export type RateLimitStoreType = (typeof RateLimitStoreType)[keyof typeof RateLimitStoreType];

/** What rate limits do while their store is unreachable. */
export const StoreUnavailablePolicy = { deny: "deny", allow: "allow" } as const;
export type StoreUnavailablePolicy = (typeof StoreUnavailablePolicy)[keyof typeof StoreUnavailablePolicy];

/** The Keycloak the realm lives in. */
export interface KeycloakInput {
  /** Keycloak as users see it; tokens are issued by `<publicUrl>/realms/<realm>`. https outside dev. */
  publicUrl: string;
  /** Keycloak as the gateway reaches it in the cluster (discovery and JWKS). */
  internalUrl: string;
  /** Namespace Keycloak runs in. Default: `keycloak`. */
  namespace?: string;
  /** Keycloak's pods the gateway may reach. Default: every pod in `namespace`. */
  podSelector?: { [label: string]: string };
  /** Whether Keycloak runs with `hostname-backchannel-dynamic=true`, which the gateway needs to reach JWKS in the cluster; `false` is refused. Default: unset, with a warning. */
  hostnameBackchannelDynamic?: boolean;
}

/** A realm role. */
export interface RoleInput {
  /** The role's name; no commas (roles travel comma-separated in `X-User-Role`). */
  name: string;
  /** Shown in Keycloak's console. Default: empty. */
  description?: string;
  /** The role is granted outside the spec (an admin in Keycloak, an identity provider's mapper), so rules requiring only it are not refused as unreachable. Default: false. */
  grantedOutsideSpec?: boolean;
}

/** A realm group: its members hold its roles. */
export interface GroupInput {
  /** The group's name. */
  name: string;
  /** Roles declared in `realm.roles`. Default: none. */
  roles?: string[];
}

/** An OAuth 2.0 scope of the API (`orders:read`), declared once: Keycloak gets a client scope of that name (in the token's `scope` claim). A client with optional API scopes is offered no other optional scope (Keycloak's `offline_access`, `address`, ... included). */
export interface ApiScopeInput {
  /** Letters, digits, `_ : . -`; not one of Keycloak's own scope names. */
  name: string;
  /** Shown on Keycloak's consent screen. Default: empty. */
  description?: string;
  /** Clients that may obtain it: a service client is granted it; a browser or app client gets it when it asks (or by default with `browserDefault`). */
  clients: string[];
  /** Browser and app clients get it without asking. Default: false. */
  browserDefault?: boolean;
}

/** Token and session lifetimes, as durations (`90s`, `5m`, `1h30m`). */
export interface RealmTokensInput {
  /** Access-token lifespan. Default: dev `15m` (at most `1h`), staging and prod `5m` (at most `15m`). */
  accessTokenLifespan?: string;
  /** SSO session idle timeout. Default: `30m`. */
  ssoSessionIdleTimeout?: string;
  /** SSO session maximum lifespan. Default: `10h`. */
  ssoSessionMaxLifespan?: string;
}

/** The Keycloak realm. */
export interface RealmInput {
  /** The realm's name (in the issuer URL). */
  name: string;
  /** Default: the realm's name. */
  displayName?: string;
  /** At least one. A rule whose roles no group (and, outside apps, no service client) grants is refused unless the role is `grantedOutsideSpec`. */
  roles: RoleInput[];
  /** Default: none. */
  groups?: GroupInput[];
  /** The API's OAuth 2.0 scopes. Default: none. */
  scopes?: ApiScopeInput[];
  /** User attribute and access-token claim naming the tenant; only admins may edit it. Default: `tenant_id`. */
  tenantAttribute?: string;
  /** Token and session lifetimes, as durations (`90s`, `5m`, `1h30m`). Default: each field's default. */
  tokens?: RealmTokensInput;
  /** Keycloak's `sslRequired`. Default: dev `external`, staging and prod `all` (prod cannot go below `all`, staging below `external`). */
  sslRequired?: SslRequiredLevel;
  /** Keycloak password policy string. Default: length 12, upper, lower, digit, special, not username, history 5. */
  passwordPolicy?: string;
}

/** The gateway's audience client. */
export interface GatewayClientInput {
  /** The audience every accepted access token must carry. */
  clientId: string;
}

/** A browser client (authorization code with PKCE, public). */
export interface BrowserClientInput {
  /** The client id. */
  clientId: string;
  /** Exact https URIs outside dev, kept as written (Keycloak compares strings); in dev one may end in `*` after its host and a `/`. At least one. */
  redirectUris: string[];
  /** Origins allowed for CORS at Keycloak. Default: none. */
  webOrigins?: string[];
  /** Where Keycloak may send users after sign-out. Default: none. */
  postLogoutRedirectUris?: string[];
  /** Keycloak asks users to consent to the scopes requested (a third-party app). Default: false. */
  consentRequired?: boolean;
}

/** A machine client (client credentials). */
export interface ServiceClientInput {
  /** The client id. */
  clientId: string;
  /** Realm roles on its service account. At least one. */
  roles: string[];
  /** The tenant claim its tokens carry. */
  tenant: string;
}

/** Keycloak clients. */
export interface ClientsInput {
  /** The gateway's audience client. */
  gateway: GatewayClientInput;
  /** Default: none. */
  browser?: BrowserClientInput[];
  /** Default: none. */
  service?: ServiceClientInput[];
}

/** A rate limit per caller: `{ requests: 100, window: "1m" }`. */
export interface RateLimitInput {
  /** Requests allowed per window (1 to 1,000,000,000). */
  requests: number;
  /** The window, a duration from `1s` to `1d`. */
  window: string;
}

/** Who may call a protected route with which methods. */
export interface AccessRuleInput {
  /** At least one. */
  methods: HttpMethodName[];
  /** A caller needs one of these roles (declared in `realm.roles`). At least one. */
  roles: string[];
  /** ... and every one of these scopes (declared in `realm.scopes`). Default: none. */
  scopes?: string[];
  /** Default: the route's, else `gateway.rateLimits.default`. */
  rateLimit?: RateLimitInput;
}

/** A route of a service: protected (with `rules`) or public (`public: true`, with `methods`). */
export interface RouteInput {
  /** Exact (`/api/orders`) or a prefix (`/api/orders/*`); plain segments; a protected path may bind one whole `{tenant}` segment to the token's tenant. */
  path: string;
  /** Anyone may call it, without a token. Default: false. */
  public?: boolean;
  /** A public route's methods. Default: `GET`, `HEAD`. */
  methods?: HttpMethodName[];
  /** A protected route's rules: every method not listed is refused. Required unless `public: true`. */
  rules?: AccessRuleInput[];
  /** Default: `gateway.rateLimits.default`. */
  rateLimit?: RateLimitInput;
}

/** How long the gateway waits on a service; then 504. It never retries. */
export interface UpstreamTimeoutsInput {
  /** To accept the connection and finish mTLS (1-60). Default: 5. */
  connectSeconds?: number;
  /** Between two writes of the request (1-600). Default: 30. */
  sendSeconds?: number;
  /** Between two reads of the answer (1-600). Default: 30. */
  readSeconds?: number;
}

/** A service behind the gateway. */
export interface ServiceInput {
  /** The service's name (Kubernetes Service name). */
  name: string;
  /** The namespace it runs in (expected to exist). */
  namespace: string;
  /** Its Kubernetes Service port (1-65535). */
  port: number;
  /** Its pods. Default: `app: <name>`. */
  podSelector?: { [label: string]: string };
  /** The gateway calls it over mTLS; `false` only outside prod. Default: `mtls.enabled`. */
  mtls?: boolean;
  /** Let `_method` and method-override headers through (refused in prod). Default: false. */
  allowMethodOverride?: boolean;
  /** Forward the caller's `Authorization` header (refused in prod). Default: false. */
  forwardBearerToken?: boolean;
  /** How long the gateway waits on it; then 504. The gateway never retries. Default: each field's default. */
  timeouts?: UpstreamTimeoutsInput;
  /** At least one. */
  routes: RouteInput[];
}

/** An extra claim passed to services as a header. */
export interface ClaimHeaderInput {
  /** The claim's path (`email`, `org.id`). */
  claim: string;
  /** The header's name (`X-User-Email`). */
  header: string;
}

/** A host whose callers must present a client certificate. */
export interface ClientCertificateHostInput {
  /** The host name callers use. */
  host: string;
  /** PEM of the CA that issues the callers' certificates. */
  caCertificate: string;
  /** The kubernetes.io/tls Secret (in the gateway's namespace) with the host's server certificate. */
  serverCertificateSecret: string;
}

/** The gateway pods' resources (Kubernetes quantities). */
export interface GatewayResourcesInput {
  /** Cores (`0.5`) or millicores (`250m`); at most `cpuLimit`. Default: `250m`. */
  cpuRequest?: string;
  /** Bytes with a unit (`256Mi`); at most `memoryLimit`. Default: `256Mi`. */
  memoryRequest?: string;
  /** Cores or millicores. Also sets the gateway's nginx workers: one per core it allows, rounded up (nginx's `auto` would start one per node CPU). Default: `1`. */
  cpuLimit?: string;
  /** Bytes with a unit. Each worker keeps its own fast-path cache (`verifiedTokenCacheSize`), the pod one shared level (`verifiedTokenCacheMegabytes`): their worst case must fit half of this limit. Default: `512Mi`. */
  memoryLimit?: string;
}

/** A key of a Kubernetes Secret. */
export interface SecretKeyInput {
  /** The Secret's name (in the gateway's namespace). */
  name: string;
  /** The key of its data. */
  key: string;
}

/** Where rate-limit counters live. */
export interface RateLimitStoreInput {
  /** `local` counts in each gateway's memory (each replica allows the whole limit); Redis counts once for all. Default: `local`. */
  type?: RateLimitStoreType;
  /** A redis store's `host:port`. Required for a `redis` store. */
  address?: string;
  /** A redis-cluster store's seed nodes (`host:port`). Required for a `redis-cluster` store. */
  addresses?: string[];
  /** The Redis pods' namespace (the gateway's egress allows it only). Required for Redis. */
  namespace?: string;
  /** The Redis pods. Default: every pod in `namespace`. */
  podSelector?: { [label: string]: string };
  /** The Secret holding Redis' password. Default: none. */
  passwordSecret?: SecretKeyInput;
  /** Redis database (0-15; a cluster has only 0). Default: 0. */
  database?: number;
  /** Redis timeout in milliseconds (1-60000). Default: 1000. */
  timeoutMs?: number;
  /** While Redis is unreachable: `deny` (limited routes answer 500) or `allow` (limits off; refused in prod). Default: `deny`. */
  whenUnavailable?: StoreUnavailablePolicy;
}

/** Rate limits for the whole gateway. */
export interface GatewayRateLimitsInput {
  /** The limit of every route and rule that names none. Default: none. */
  default?: RateLimitInput;
  /** Where counters live. Default: a `local` store. */
  store?: RateLimitStoreInput;
  /** Answer with `X-RateLimit-*` headers. Default: true. */
  headers?: boolean;
}

/** The APISIX gateway. */
export interface GatewayInput {
  /** Names this gateway instance: its Kubernetes objects (`<name>`, `<name>-config`, `<name>-upstream-mtls`, `allow-<name>-to-<service>`, ...) and its pods' `app.kubernetes.io/instance` label, which NetworkPolicies select; two gateways in one stack need two names. A lowercase DNS label of at most 20 characters. Default: `apisix`. */
  name?: string;
  /** Default: `gateway`. */
  namespace?: string;
  /** Default: dev 1, staging 2, prod 3 (1-100; at least 2 outside dev). */
  replicas?: number;
  /** Default: `apache/apisix:3.18.0-debian`. */
  image?: string;
  /** Hosts the gateway answers for (browser apps' hosts among them). Default: none. */
  hostnames?: string[];
  /** Claims passed on top of `X-User-ID`, `X-User-Role`, `X-Tenant-ID` (`email` only when `email_verified`); never under a header proxies and frameworks act on (`X-Forwarded-*`, `X-Real-IP`, `X-Original-*`, method overrides, ...). Default: none. */
  claimHeaders?: ClaimHeaderInput[];
  /** Pass APISIX's `X-Userinfo` to services. Default: false. */
  forwardUserinfo?: boolean;
  /** CIDRs of proxies in front of the gateway whose `X-Forwarded-For` counts (wider than /8 refused in prod). Default: none. */
  trustedProxies?: string[];
  /** Longest time a key removed from the realm's JWKS is still trusted (30-86400; the JWKS is cached for half of it). Default: 300. */
  jwksCacheSeconds?: number;
  /** A token under an unknown key id refetches the JWKS at most once per this interval (1-3600). Default: 10. */
  unknownKeyRefetchSeconds?: number;
  /** The outage policy: while the realm's JWKS cannot be fetched, the last keys fetched stay in use at most this long past their refresh, then 401. An outage never revives a retired key. 0-3600; 0 fails closed as soon as the cached keys expire. Default: 300. */
  keysStaleIfUnreachableSeconds?: number;
  /** Bearer tokens each gateway worker remembers as verified, so their next requests skip openid-connect's per-request work; only tokens whose `Authorization` header is at most 4 KB (longer ones live in the shared level only). About 3.5 KB per entry for a 1.2 KB token with one rule's view (docs/request-pipeline.md). Size it to the active users a worker serves: a request the shared level answers costs about 5 % more gateway CPU than one the worker level answers (measured paired; serving many users costs more whichever level answers: docs/benchmarks.md). Every worker full of worst-case entries (17 KiB each), plus `verifiedTokenCacheMegabytes`, must fit half of `resources.memoryLimit`; the error names the largest size that does. 0-1000000; 0 turns the fast path off. Default: 2000. */
  verifiedTokenCacheSize?: number;
  /** The fast path's level shared by a pod's workers, bounded in bytes (least recently used out when full): about 1.9 KB for a 1.2 KB token, so the default holds some 12,000 typical users. Counted in the fast path's half of `resources.memoryLimit` (see `verifiedTokenCacheSize`). In megabytes, 0-1024; 0 turns it off. Default: 32. */
  verifiedTokenCacheMegabytes?: number;
  /** Hosts whose callers need a client certificate. Default: none. */
  clientCertificateHosts?: ClientCertificateHostInput[];
  /** The gateway pods' resources (Kubernetes quantities). Default: each field's default. */
  resources?: GatewayResourcesInput;
  /** Rate limits for the whole gateway (docs/request-pipeline.md#rate-limits). Default: no limit, a local store, headers on. */
  rateLimits?: GatewayRateLimitsInput;
  /** Where the decision log's JSON lines go, in the gateway container (an absolute path). Default: `/dev/stdout`. */
  decisionLogPath?: string;
}

/** Gateway <-> service mTLS. */
export interface MtlsInput {
  /** Default: true; prod cannot turn it off. */
  enabled?: boolean;
  /** Default: 3650 (1-36500). */
  caValidityDays?: number;
  /** Default: 90 (1-3650). */
  certificateValidityDays?: number;
  /** Default: 30 (0-3650). */
  renewBeforeDays?: number;
}

/** Prometheus (or another scraper) allowed to reach the gateway's metrics. */
export interface MonitoringAccessInput {
  /** The scraper's namespace. */
  namespace: string;
  /** Default: every pod in `namespace`. */
  podSelector?: { [label: string]: string };
  /** At least one (1-65535). */
  ports: number[];
}

/** Where the gateway resolves names. */
export interface DnsAccessInput {
  /** Default: `kube-system`. */
  namespace?: string;
  /** Default: `k8s-app: kube-dns`. */
  podSelector?: { [label: string]: string };
}

/** NetworkPolicy options. */
export interface NetworkInput {
  /** Pods beside a service may reach it without the gateway (refused in prod). Default: false. */
  allowSameNamespace?: boolean;
  /** Default: none. */
  monitoring?: MonitoringAccessInput;
  /** Where the gateway resolves names. Default: kube-system's kube-dns. */
  dns?: DnsAccessInput;
}

/** A browser app signed in at the gateway (sessions in cookies; the service never sees a token). */
export interface BrowserAppInput {
  /** The app's name (a DNS label). */
  name: string;
  /** The app's URL with a path prefix (`https://shop.example.com/app`); its host must be one of `gateway.hostnames`. */
  url: string;
  /** Its Keycloak client id (a confidential client the gateway signs in with). */
  clientId: string;
  /** Scopes asked at sign-in. Default: `openid`, `profile`, `email`. */
  scopes?: string[];
  /** Paths under the app that are its API (answered 401, not redirected to sign-in). Default: `<path prefix>/api/`. */
  apiPathPrefixes?: string[];
  /** Default: `8h`. */
  sessionLifetime?: string;
  /** Default: `30m`. */
  sessionIdleTimeout?: string;
  /** Default: `realm.tokens.accessTokenLifespan` (same maximum). */
  accessTokenLifespan?: string;
  /** Default: the app's origin with `/`. */
  postLogoutRedirectUri?: string;
}

/** A user created with a generated password (the `seedUserPasswords` output, a secret); dev only. */
export interface SeedUserInput {
  /** Login name. */
  username: string;
  /** Email address (marked verified). */
  email: string;
  /** First name. */
  firstName: string;
  /** Last name. */
  lastName: string;
  /** Default: none. */
  groups?: string[];
  /** The tenant attribute's value. */
  tenant: string;
}

/** The access spec: everything gateway auth is built from. */
export interface AccessSpecInput {
  /** Selects the defaults and bounds; dev conveniences exist only in `dev`. */
  environment: SpecEnvironment;
  /** The Keycloak the realm lives in. */
  keycloak: KeycloakInput;
  /** The Keycloak realm: roles, groups, scopes, tenant attribute, token lifetimes. */
  realm: RealmInput;
  /** The Keycloak clients: the gateway (audience), browser and machine clients. */
  clients: ClientsInput;
  /** At least one. */
  services: ServiceInput[];
  /** The APISIX gateway. Default: every field's default. */
  gateway?: GatewayInput;
  /** Gateway <-> service mTLS. Default: on. */
  mtls?: MtlsInput;
  /** NetworkPolicy options. Default: every field's default. */
  network?: NetworkInput;
  /** Default: none. */
  apps?: BrowserAppInput[];
  /** Dev only. Default: none. */
  seedUsers?: SeedUserInput[];
}
