import { TENANT_SEGMENT, isValidRoutePath } from "./access";
import {
  DEFAULT_GATEWAY_IMAGE,
  DEFAULT_JWKS_CACHE_SECONDS,
  DEFAULT_KEYS_STALE_IF_UNREACHABLE_SECONDS,
  DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
  DEFAULT_VERIFIED_TOKEN_CACHE_MEGABYTES,
  DEFAULT_PASSWORD_POLICY,
  DEFAULT_TENANT_ATTRIBUTE,
  DEFAULT_UPSTREAM_TIMEOUTS,
  ENVIRONMENT_DEFAULTS,
  EnvironmentDefaults,
} from "./defaults";
import { parseDuration } from "./durations";
import { CPU_QUANTITY, MEMORY_QUANTITY, checkRequestWithinLimit, memoryBytes, workersFor } from "./quantities";
import {
  MiB,
  WORKER_ENTRY_WORST_BYTES,
  fastPathBudgetBytes,
  fastPathWorstCaseBytes,
  formatMiB,
  largestVerifiedTokenCacheSize,
  smallestMemoryLimitMiB,
} from "../contract/fast-path-memory";
import * as P from "./patterns";
import { readGatewayRateLimits, readRateLimit } from "./rate-limits";
import { Raw, SpecReader, SpecValidationError, join, show } from "./reader";
import { redirectWildcardHonoured } from "../contract/names";
import {
  AccessRuleSpec,
  AccessSpec,
  ApiScopeSpec,
  BrowserAppSpec,
  BrowserClientSpec,
  ClaimHeaderSpec,
  ClientCertificateHostSpec,
  ClientsSpec,
  MonitoringAccessSpec,
  MtlsSpec,
  NetworkSpec,
  ENVIRONMENTS,
  GatewaySpec,
  GroupSpec,
  HTTP_METHODS,
  HttpMethod,
  KeycloakEndpointsSpec,
  RealmSpec,
  RoleSpec,
  RouteSpec,
  SeedUserSpec,
  ServiceClientSpec,
  ServiceSpec,
  UpstreamTimeoutsSpec,
  SSL_REQUIRED_LEVELS,
} from "./types";

/** The stack-config keys the spec is read from (`gateway-auth:<key>`). */
export const SPEC_CONFIG_KEYS = ["environment", "keycloak", "realm", "clients", "services", "gateway", "mtls", "network", "apps", "seedUsers"] as const;
export type RawAccessSpec = Partial<Record<(typeof SPEC_CONFIG_KEYS)[number], unknown>>;

/**
 * Shape and format of each field, with defaults for the environment. Cross-references
 * (roles named by rules, overlapping routes, ...) are checked afterwards in `crossCheck`.
 */
export function readSpecFields(r: SpecReader, input: RawAccessSpec): AccessSpec {
  // Checked here, not only by the stack reader: GatewayAuth's args.spec reaches the parser directly,
  // and an optional section under a misspelt key (`networks`) would silently keep its defaults.
  const raw: RawAccessSpec | undefined = r.object("(access spec)", input, SPEC_CONFIG_KEYS, "");
  // Not an object: every field would be "missing", which says nothing more.
  if (!raw) throw new SpecValidationError(r.problems);
  const environment = r.oneOf("environment", raw.environment, ENVIRONMENTS);
  const env = ENVIRONMENT_DEFAULTS[environment];
  const mtls = readMtls(r, raw.mtls);
  return {
    environment,
    keycloak: readKeycloak(r, raw.keycloak, env),
    realm: readRealm(r, raw.realm, env),
    clients: readClients(r, raw.clients, env),
    services: r.array("services", raw.services, (p, v) => readService(r, p, v, mtls.enabled), { minItems: 1 }),
    gateway: readGateway(r, raw.gateway, env),
    mtls,
    network: readNetwork(r, raw.network),
    apps: r.array("apps", raw.apps, (p, v) => readApp(r, p, v, env), { optional: true }),
    seedUsers: r.array("seedUsers", raw.seedUsers, (p, v) => readSeedUser(r, p, v), { optional: true }),
  };
}

/**
 * A URL: http(s), no credentials, query or fragment; plain http only where the
 * environment allows. A base URL loses its trailing slash (paths are appended
 * to it); an `exact` one (a redirect URI, which Keycloak compares as a string)
 * is kept as written.
 */
export function readUrl(
  r: SpecReader,
  path: string,
  value: Raw,
  env: EnvironmentDefaults,
  opts: { allowPath?: boolean; allowWildcard?: boolean; exact?: boolean } = {},
): string {
  const text = r.string(path, value);
  if (!text) return text;
  // The URL parser forgives a pasted space or newline, and turns a lookalike letter (Cyrillic "а") into
  // punycode silently; Keycloak and the issuer check compare the text as written, so it would never match,
  // or match a host nobody meant.
  if (/[^\x21-\x7e]/.test(text)) {
    return (
      r.fail(path, `${show(text)} contains a space, a control character or a non-ASCII character; write an internationalised host in punycode (xn--...)`) ??
      text
    );
  }
  if (text.includes("*") && !opts.allowWildcard) {
    return r.fail(path, `wildcard URL ${show(text)} is only allowed in dev`) ?? text;
  }
  // Keycloak matches a wildcard only as the URI's last character, after a host and a path: one in the host,
  // the port or mid-path is taken literally, so it never matches and the sign-in fails for every user.
  if (!redirectWildcardHonoured(text)) {
    return (
      r.fail(
        path,
        `${show(text)}: Keycloak matches a wildcard only at the very end of a redirect URI, after its host and a "/" (for example "http://localhost:3000/*"); a "*" in the host, the port or mid-path never matches`,
      ) ?? text
    );
  }
  let url: URL;
  try {
    url = new URL(text.replace(/\*/g, "wildcard"));
  } catch {
    return r.fail(path, `${show(text)} is not a valid URL`) ?? text;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return r.fail(path, `${show(text)} must use https`) ?? text;
  if (url.protocol === "http:" && !env.allowInsecureUrls) return r.fail(path, `${show(text)} must use https outside dev`) ?? text;
  if (url.username || url.password || url.search || url.hash) {
    return r.fail(path, `${show(text)} must not carry credentials, a query or a fragment`) ?? text;
  }
  if (!opts.allowPath && url.pathname !== "/") return r.fail(path, `${show(text)} must be an origin without a path`) ?? text;
  return opts.exact ? text : text.replace(/\/+$/, "");
}

/**
 * The gateway fetches discovery in cluster and then the JWKS at whatever URL
 * discovery names; its egress reaches only Keycloak's pods. With back-channel
 * URLs fixed to the public host, that is a URL it cannot reach: every request 401.
 */
function readBackchannel(r: SpecReader, value: Raw): boolean {
  const on = r.boolean("keycloak.hostnameBackchannelDynamic", value, true);
  if (!on)
    r.fail(
      "keycloak.hostnameBackchannelDynamic",
      "false: Keycloak would advertise public JWKS and token URLs to the gateway, whose egress reaches only Keycloak's pods; every request would get 401. Run Keycloak with hostname-backchannel-dynamic=true (README: Deploying for real)",
    );
  return on;
}

function readKeycloak(r: SpecReader, value: Raw, env: EnvironmentDefaults): KeycloakEndpointsSpec {
  const o = r.optionalObject("keycloak", value, ["publicUrl", "internalUrl", "namespace", "podSelector", "hostnameBackchannelDynamic"]);
  const internalUrl = readUrl(r, "keycloak.internalUrl", o.internalUrl, { ...env, allowInsecureUrls: true }, { allowPath: true });
  let port = 443;
  try {
    const u = new URL(internalUrl);
    port = u.port ? Number(u.port) : u.protocol === "http:" ? 80 : 443;
  } catch {
    /* already reported */
  }
  return {
    publicUrl: readUrl(r, "keycloak.publicUrl", o.publicUrl, env, { allowPath: true }),
    // In-cluster traffic may be plain http to Keycloak's service; the gateway only fetches public keys there.
    internalUrl,
    namespace: r.string("keycloak.namespace", o.namespace, { default: "keycloak", ...P.K8S_NAME }),
    port,
    podSelector: readLabels(r, "keycloak.podSelector", o.podSelector) ?? {},
    ...(o.hostnameBackchannelDynamic === undefined ? {} : { hostnameBackchannelDynamic: readBackchannel(r, o.hostnameBackchannelDynamic) }),
  };
}

function readDuration(r: SpecReader, path: string, value: Raw, fallback: string): number {
  const text = r.string(path, value, { default: fallback });
  const seconds = parseDuration(text);
  return seconds ?? r.fail(path, `${show(text)} is not a duration (e.g. "90s", "5m", "8h", "1h30m")`) ?? 0;
}

function readRole(r: SpecReader, path: string, value: Raw): RoleSpec {
  if (typeof value === "string") return { name: r.string(path, value, P.ROLE_NAME), description: "", grantedOutsideSpec: false };
  const o = r.object(path, value, ["name", "description", "grantedOutsideSpec"]) ?? {};
  return {
    name: r.string(join(path, "name"), o.name, P.ROLE_NAME),
    description: r.string(join(path, "description"), o.description, { default: "" }),
    grantedOutsideSpec: r.boolean(join(path, "grantedOutsideSpec"), o.grantedOutsideSpec, false),
  };
}

function readRealm(r: SpecReader, value: Raw, env: EnvironmentDefaults): RealmSpec {
  const o = r.object("realm", value, ["name", "displayName", "roles", "groups", "scopes", "tenantAttribute", "tokens", "sslRequired", "passwordPolicy"]) ?? {};
  const tokens = r.optionalObject("realm.tokens", o.tokens, ["accessTokenLifespan", "ssoSessionIdleTimeout", "ssoSessionMaxLifespan"]);
  const name = r.string("realm.name", o.name, P.REALM_NAME);
  return {
    name,
    displayName: r.string("realm.displayName", o.displayName, { default: name }),
    roles: r.array("realm.roles", o.roles, (p, v) => readRole(r, p, v), { minItems: 1 }),
    groups: r.array("realm.groups", o.groups, (p, v) => readGroup(r, p, v), { optional: true }),
    scopes: r.array("realm.scopes", o.scopes, (p, v) => readApiScope(r, p, v), { optional: true }),
    tenantAttribute: r.string("realm.tenantAttribute", o.tenantAttribute, { default: DEFAULT_TENANT_ATTRIBUTE, ...P.ATTRIBUTE_NAME }),
    tokens: {
      accessTokenLifespan: readDuration(r, "realm.tokens.accessTokenLifespan", tokens.accessTokenLifespan, env.accessTokenLifespan),
      ssoSessionIdleTimeout: readDuration(r, "realm.tokens.ssoSessionIdleTimeout", tokens.ssoSessionIdleTimeout, env.ssoSessionIdleTimeout),
      ssoSessionMaxLifespan: readDuration(r, "realm.tokens.ssoSessionMaxLifespan", tokens.ssoSessionMaxLifespan, env.ssoSessionMaxLifespan),
    },
    sslRequired: r.oneOf("realm.sslRequired", o.sslRequired, SSL_REQUIRED_LEVELS, env.sslRequired),
    passwordPolicy: r.string("realm.passwordPolicy", o.passwordPolicy, { default: DEFAULT_PASSWORD_POLICY }),
  };
}

function readApiScope(r: SpecReader, path: string, value: Raw): ApiScopeSpec {
  const o = r.object(path, value, ["name", "description", "clients", "browserDefault"]) ?? {};
  return {
    name: r.string(join(path, "name"), o.name, P.SCOPE_NAME),
    description: r.string(join(path, "description"), o.description, { default: "" }),
    clients: r.array(join(path, "clients"), o.clients, (p, v) => r.string(p, v, P.CLIENT_ID), { minItems: 1 }),
    browserDefault: r.boolean(join(path, "browserDefault"), o.browserDefault, false),
  };
}

function readGroup(r: SpecReader, path: string, value: Raw): GroupSpec {
  const o = r.object(path, value, ["name", "roles"]) ?? {};
  return {
    name: r.string(join(path, "name"), o.name, P.GROUP_NAME),
    roles: r.array(join(path, "roles"), o.roles, (p, v) => r.string(p, v, P.ROLE_NAME), { optional: true }),
  };
}

function readClients(r: SpecReader, value: Raw, env: EnvironmentDefaults): ClientsSpec {
  const o = r.object("clients", value, ["gateway", "browser", "service"]) ?? {};
  const gateway = r.object("clients.gateway", o.gateway, ["clientId"]) ?? {};
  return {
    gateway: { clientId: r.string("clients.gateway.clientId", gateway.clientId, P.CLIENT_ID) },
    browser: r.array("clients.browser", o.browser, (p, v) => readBrowserClient(r, p, v, env), { optional: true }),
    service: r.array("clients.service", o.service, (p, v) => readServiceClient(r, p, v), { optional: true }),
  };
}

function readBrowserClient(r: SpecReader, path: string, value: Raw, env: EnvironmentDefaults): BrowserClientSpec {
  const o = r.object(path, value, ["clientId", "redirectUris", "webOrigins", "postLogoutRedirectUris", "consentRequired"]) ?? {};
  const uri = (p: string, v: Raw) => readUrl(r, p, v, env, { allowPath: true, allowWildcard: env.allowWildcardRedirects, exact: true });
  return {
    clientId: r.string(join(path, "clientId"), o.clientId, P.CLIENT_ID),
    redirectUris: r.array(join(path, "redirectUris"), o.redirectUris, uri, { minItems: 1 }),
    webOrigins: r.array(join(path, "webOrigins"), o.webOrigins, (p, v) => readUrl(r, p, v, env), { optional: true }),
    postLogoutRedirectUris: r.array(join(path, "postLogoutRedirectUris"), o.postLogoutRedirectUris, uri, { optional: true }),
    consentRequired: r.boolean(join(path, "consentRequired"), o.consentRequired, false),
  };
}

function readServiceClient(r: SpecReader, path: string, value: Raw): ServiceClientSpec {
  const o = r.object(path, value, ["clientId", "roles", "tenant"]) ?? {};
  return {
    clientId: r.string(join(path, "clientId"), o.clientId, P.CLIENT_ID),
    roles: r.array(join(path, "roles"), o.roles, (p, v) => r.string(p, v, P.ROLE_NAME), { minItems: 1 }),
    tenant: r.string(join(path, "tenant"), o.tenant, P.TENANT),
  };
}

function readMethod(r: SpecReader, path: string, value: Raw): HttpMethod {
  return r.oneOf(path, typeof value === "string" ? value.toUpperCase() : value, HTTP_METHODS);
}

function readRule(r: SpecReader, path: string, value: Raw): AccessRuleSpec {
  const o = r.object(path, value, ["methods", "roles", "scopes", "rateLimit"]) ?? {};
  const rateLimit = readRateLimit(r, join(path, "rateLimit"), o.rateLimit);
  return {
    methods: r.array(join(path, "methods"), o.methods, (p, v) => readMethod(r, p, v), { minItems: 1 }),
    roles: r.array(join(path, "roles"), o.roles, (p, v) => r.string(p, v, P.ROLE_NAME), { minItems: 1 }),
    scopes: r.array(join(path, "scopes"), o.scopes, (p, v) => r.string(p, v, P.SCOPE_NAME), { optional: true }),
    ...(rateLimit ? { rateLimit } : {}),
  };
}

function readRoute(r: SpecReader, path: string, value: Raw): RouteSpec {
  const o = r.object(path, value, ["path", "public", "methods", "rules", "rateLimit"]) ?? {};
  const routePath = r.string(join(path, "path"), o.path);
  const limit = readRateLimit(r, join(path, "rateLimit"), o.rateLimit);
  const rateLimit = limit ? { rateLimit: limit } : {};
  if (routePath && !isValidRoutePath(routePath)) {
    r.fail(
      join(path, "path"),
      `${show(routePath)} is not a route path ('/a/b' or '/a/b/*'; plain segments, no '..', '//', '%' or inner '*'; at most one whole segment '{tenant}')`,
    );
  }
  const isPublic = r.boolean(join(path, "public"), o.public, false);
  // Which kind of route this is stays unknown, and so do the fields it should have: one problem, not three.
  if (r.failedAt(join(path, "public"))) return { path: routePath, public: false, methods: [], rules: [], ...rateLimit };
  if (isPublic) {
    if (routePath.includes(TENANT_SEGMENT))
      r.fail(
        join(path, "path"),
        `${show(routePath)} binds a {tenant} segment on a public route: there is no verified tenant to compare it with; make the route protected`,
      );
    if (o.rules !== undefined) r.fail(join(path, "rules"), "a public route takes `methods`, not `rules`");
    return {
      path: routePath,
      public: true,
      methods: r.array(join(path, "methods"), o.methods ?? ["GET", "HEAD"], (p, v) => readMethod(r, p, v), { minItems: 1 }),
      rules: [],
      ...rateLimit,
    };
  }
  if (o.methods !== undefined && o.rules === undefined) {
    // Most likely a public route without `public: true`; either way one problem, at the route.
    r.fail(path, "a route with `methods` and no `rules`: set `public: true` for a public route, or say who may call it in `rules`");
    return { path: routePath, public: false, methods: [], rules: [], ...rateLimit };
  }
  if (o.methods !== undefined) r.fail(join(path, "methods"), "only public routes take `methods`; protected routes list methods per rule");
  // Deny by default: a protected route must say who may do what.
  return {
    path: routePath,
    public: false,
    methods: [],
    rules: r.array(join(path, "rules"), o.rules, (p, v) => readRule(r, p, v), { minItems: 1 }),
    ...rateLimit,
  };
}

function readLabels(r: SpecReader, path: string, value: Raw): Record<string, string> | undefined {
  return r.stringMap(path, value, P.LABEL_KEY, P.LABEL_VALUE);
}

function readService(r: SpecReader, path: string, value: Raw, mtlsDefault: boolean): ServiceSpec {
  const o =
    r.object(path, value, ["name", "namespace", "port", "podSelector", "mtls", "allowMethodOverride", "forwardBearerToken", "timeouts", "routes"]) ?? {};
  const name = r.string(join(path, "name"), o.name, P.K8S_NAME);
  return {
    name,
    namespace: r.string(join(path, "namespace"), o.namespace, P.K8S_NAME),
    port: r.integer(join(path, "port"), o.port, { min: 1, max: 65535 }),
    podSelector: readLabels(r, join(path, "podSelector"), o.podSelector) ?? { app: name },
    mtls: r.boolean(join(path, "mtls"), o.mtls, mtlsDefault),
    allowMethodOverride: r.boolean(join(path, "allowMethodOverride"), o.allowMethodOverride, false),
    forwardBearerToken: r.boolean(join(path, "forwardBearerToken"), o.forwardBearerToken, false),
    timeouts: readUpstreamTimeouts(r, join(path, "timeouts"), o.timeouts),
    routes: r.array(join(path, "routes"), o.routes, (p, v) => readRoute(r, p, v), { minItems: 1 }),
  };
}

function readUpstreamTimeouts(r: SpecReader, path: string, value: Raw): UpstreamTimeoutsSpec {
  const o = r.optionalObject(path, value, ["connectSeconds", "sendSeconds", "readSeconds"]);
  const d = DEFAULT_UPSTREAM_TIMEOUTS;
  return {
    connectSeconds: r.integer(join(path, "connectSeconds"), o.connectSeconds, { default: d.connectSeconds, min: 1, max: 60 }),
    sendSeconds: r.integer(join(path, "sendSeconds"), o.sendSeconds, { default: d.sendSeconds, min: 1, max: 600 }),
    readSeconds: r.integer(join(path, "readSeconds"), o.readSeconds, { default: d.readSeconds, min: 1, max: 600 }),
  };
}

/** An IPv4 address or CIDR block, e.g. 10.0.0.0/8. */
function readCidr(r: SpecReader, path: string, value: Raw): string {
  const text = r.string(path, value, { pattern: /^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/, describe: "an IPv4 address or CIDR block (10.0.0.0/8)" });
  const [ip, bits] = text.split("/");
  if (ip.split(".").some((o) => Number(o) > 255) || (bits !== undefined && Number(bits) > 32))
    return r.fail(path, `${show(text)} is not an IPv4 address or CIDR block`) ?? text;
  return text;
}

function readClaimHeader(r: SpecReader, path: string, value: Raw): ClaimHeaderSpec {
  const o = r.object(path, value, ["claim", "header"]) ?? {};
  return { claim: r.string(join(path, "claim"), o.claim, P.CLAIM_PATH), header: r.string(join(path, "header"), o.header, P.HEADER_NAME) };
}

function readGateway(r: SpecReader, value: Raw, env: EnvironmentDefaults): GatewaySpec {
  const o = r.optionalObject("gateway", value, [
    "name",
    "unknownKeyRefetchSeconds",
    "trustedProxies",
    "namespace",
    "replicas",
    "image",
    "hostnames",
    "claimHeaders",
    "forwardUserinfo",
    "jwksCacheSeconds",
    "keysStaleIfUnreachableSeconds",
    "clientCertificateHosts",
    "resources",
    "rateLimits",
    "decisionLogPath",
    "verifiedTokenCacheSize",
    "verifiedTokenCacheMegabytes",
  ]);
  const res = r.optionalObject("gateway.resources", o.resources, ["cpuRequest", "memoryRequest", "cpuLimit", "memoryLimit"]);
  const replicas = r.integer("gateway.replicas", o.replicas, { default: env.gatewayReplicas, min: 1, max: 100 });
  if (replicas < env.minimumGatewayReplicas) {
    r.fail("gateway.replicas", `${replicas} is below the minimum of ${env.minimumGatewayReplicas} for this environment`);
  }
  const gateway: GatewaySpec = {
    name: r.string("gateway.name", o.name, { default: "apisix", ...P.GATEWAY_NAME }),
    unknownKeyRefetchSeconds: r.integer("gateway.unknownKeyRefetchSeconds", o.unknownKeyRefetchSeconds, { default: 10, min: 1, max: 3600 }),
    trustedProxies: r.array("gateway.trustedProxies", o.trustedProxies, (p, v) => readCidr(r, p, v), { optional: true }),
    namespace: r.string("gateway.namespace", o.namespace, { default: "gateway", ...P.K8S_NAME }),
    replicas,
    image: r.string("gateway.image", o.image, { default: DEFAULT_GATEWAY_IMAGE, ...P.IMAGE }),
    hostnames: r.array("gateway.hostnames", o.hostnames, (p, v) => r.string(p, v, P.HOSTNAME), { optional: true }),
    claimHeaders: r.array("gateway.claimHeaders", o.claimHeaders, (p, v) => readClaimHeader(r, p, v), { optional: true }),
    forwardUserinfo: r.boolean("gateway.forwardUserinfo", o.forwardUserinfo, false),
    jwksCacheSeconds: r.integer("gateway.jwksCacheSeconds", o.jwksCacheSeconds, { default: DEFAULT_JWKS_CACHE_SECONDS, min: 30, max: 86400 }),
    keysStaleIfUnreachableSeconds: r.integer("gateway.keysStaleIfUnreachableSeconds", o.keysStaleIfUnreachableSeconds, {
      default: DEFAULT_KEYS_STALE_IF_UNREACHABLE_SECONDS,
      min: 0,
      max: 3600,
    }),
    verifiedTokenCacheSize: r.integer("gateway.verifiedTokenCacheSize", o.verifiedTokenCacheSize, {
      default: DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
      min: 0,
      max: 1_000_000,
    }),
    verifiedTokenCacheMegabytes: r.integer("gateway.verifiedTokenCacheMegabytes", o.verifiedTokenCacheMegabytes, {
      default: DEFAULT_VERIFIED_TOKEN_CACHE_MEGABYTES,
      min: 0,
      max: 1024,
    }),
    clientCertificateHosts: r.array("gateway.clientCertificateHosts", o.clientCertificateHosts, (p, v) => readClientCertificateHost(r, p, v), {
      optional: true,
    }),
    resources: readResources(r, res),
    rateLimits: readGatewayRateLimits(r, o.rateLimits),
    // The container's stdout, where Kubernetes collects logs.
    decisionLogPath: r.string("gateway.decisionLogPath", o.decisionLogPath, {
      default: "/dev/stdout",
      pattern: /^\/[A-Za-z0-9._/-]+$/,
      describe: "an absolute file path",
    }),
  };
  checkFastPathMemory(r, gateway);
  return gateway;
}

/**
 * Every worker's fast-path level full of the largest entries it keeps, plus
 * the shared level, must fit the share of the memory limit the fast path may
 * take (components/contract/fast-path-memory.ts): past it, a pod with many
 * active users is OOM-killed instead of answering from the shared level.
 */
function checkFastPathMemory(r: SpecReader, g: GatewaySpec): void {
  const fields = ["verifiedTokenCacheSize", "verifiedTokenCacheMegabytes", "resources.cpuLimit", "resources.memoryLimit"];
  if (fields.some((f) => r.failedAt(`gateway.${f}`))) return;
  const { cpuLimit, memoryLimit } = g.resources;
  const sizing = {
    workers: workersFor(cpuLimit),
    verifiedTokenCacheSize: g.verifiedTokenCacheSize,
    verifiedTokenCacheMegabytes: g.verifiedTokenCacheMegabytes,
  };
  const limit = memoryBytes(memoryLimit);
  const budget = fastPathBudgetBytes(limit);
  const shared = g.verifiedTokenCacheMegabytes * MiB;
  const worst = fastPathWorstCaseBytes(sizing);
  if (worst <= budget) return;
  const share = `half of gateway.resources.memoryLimit ${memoryLimit} (${formatMiB(budget)}), the share the fast path may take`;
  const raise = `raise gateway.resources.memoryLimit to at least ${smallestMemoryLimitMiB(sizing)}Mi`;
  if (shared > budget) {
    r.fail("gateway.verifiedTokenCacheMegabytes", `${g.verifiedTokenCacheMegabytes} MiB of shared fast-path level is more than ${share}: lower it or ${raise}`);
    return;
  }
  const workers = `${sizing.workers} worker${sizing.workers === 1 ? "" : "s"} (gateway.resources.cpuLimit ${cpuLimit})`;
  r.fail(
    "gateway.verifiedTokenCacheSize",
    `${g.verifiedTokenCacheSize} entries in each of ${workers} can take up to ${formatMiB(worst - shared)} (${WORKER_ENTRY_WORST_BYTES / 1024} KiB per entry, worst case), ` +
      `and gateway.verifiedTokenCacheMegabytes adds ${g.verifiedTokenCacheMegabytes} MiB: more than ${share}. ` +
      `Lower it to at most ${largestVerifiedTokenCacheSize(limit, sizing)} or ${raise}`,
  );
}

function readResources(r: SpecReader, res: Record<string, Raw>): GatewaySpec["resources"] {
  const path = "gateway.resources";
  const resources = {
    cpuRequest: r.string(`${path}.cpuRequest`, res.cpuRequest, { default: "250m", ...CPU_QUANTITY }),
    memoryRequest: r.string(`${path}.memoryRequest`, res.memoryRequest, { default: "256Mi", ...MEMORY_QUANTITY }),
    cpuLimit: r.string(`${path}.cpuLimit`, res.cpuLimit, { default: "1", ...CPU_QUANTITY }),
    memoryLimit: r.string(`${path}.memoryLimit`, res.memoryLimit, { default: "512Mi", ...MEMORY_QUANTITY }),
  };
  checkRequestWithinLimit(r, path, "cpu", resources);
  checkRequestWithinLimit(r, path, "memory", resources);
  return resources;
}

function readSeedUser(r: SpecReader, path: string, value: Raw): SeedUserSpec {
  const o = r.object(path, value, ["username", "email", "firstName", "lastName", "groups", "tenant"]) ?? {};
  return {
    username: r.string(join(path, "username"), o.username, P.USERNAME),
    email: r.string(join(path, "email"), o.email, P.EMAIL),
    firstName: r.string(join(path, "firstName"), o.firstName),
    lastName: r.string(join(path, "lastName"), o.lastName),
    groups: r.array(join(path, "groups"), o.groups, (p, v) => r.string(p, v, P.GROUP_NAME), { optional: true }),
    tenant: r.string(join(path, "tenant"), o.tenant, P.TENANT),
  };
}

function readClientCertificateHost(r: SpecReader, path: string, value: Raw): ClientCertificateHostSpec {
  const o = r.object(path, value, ["host", "caCertificate", "serverCertificateSecret"]) ?? {};
  return {
    host: r.string(join(path, "host"), o.host, P.HOSTNAME),
    caCertificate: r.string(join(path, "caCertificate"), o.caCertificate, P.PEM_CERTIFICATE),
    serverCertificateSecret: r.string(join(path, "serverCertificateSecret"), o.serverCertificateSecret, P.K8S_NAME),
  };
}

function readMtls(r: SpecReader, value: Raw): MtlsSpec {
  const o = r.optionalObject("mtls", value, ["enabled", "caValidityDays", "certificateValidityDays", "renewBeforeDays"]);
  return {
    enabled: r.boolean("mtls.enabled", o.enabled, true),
    caValidityDays: r.integer("mtls.caValidityDays", o.caValidityDays, { default: 3650, min: 1, max: 36500 }),
    certificateValidityDays: r.integer("mtls.certificateValidityDays", o.certificateValidityDays, { default: 90, min: 1, max: 3650 }),
    renewBeforeDays: r.integer("mtls.renewBeforeDays", o.renewBeforeDays, { default: 30, min: 0, max: 3650 }),
  };
}

function readNetwork(r: SpecReader, value: Raw): NetworkSpec {
  const o = r.optionalObject("network", value, ["allowSameNamespace", "monitoring", "dns"]);
  const dns = r.optionalObject("network.dns", o.dns, ["namespace", "podSelector"]);
  let monitoring: MonitoringAccessSpec | undefined;
  if (o.monitoring !== undefined) {
    const m = r.object("network.monitoring", o.monitoring, ["namespace", "podSelector", "ports"]) ?? {};
    monitoring = {
      namespace: r.string("network.monitoring.namespace", m.namespace, P.K8S_NAME),
      podSelector: readLabels(r, "network.monitoring.podSelector", m.podSelector) ?? {},
      ports: r.array("network.monitoring.ports", m.ports, (p, v) => r.integer(p, v, { min: 1, max: 65535 }), { minItems: 1 }),
    };
  }
  return {
    allowSameNamespace: r.boolean("network.allowSameNamespace", o.allowSameNamespace, false),
    ...(monitoring ? { monitoring } : {}),
    dns: {
      namespace: r.string("network.dns.namespace", dns.namespace, { default: "kube-system", ...P.K8S_NAME }),
      podSelector: readLabels(r, "network.dns.podSelector", dns.podSelector) ?? { "k8s-app": "kube-dns" },
    },
  };
}

const DEFAULT_APP_SCOPES = ["openid", "profile", "email"];

function readApp(r: SpecReader, path: string, value: Raw, env: EnvironmentDefaults): BrowserAppSpec {
  const o =
    r.object(path, value, [
      "name",
      "url",
      "clientId",
      "scopes",
      "apiPathPrefixes",
      "sessionLifetime",
      "sessionIdleTimeout",
      "accessTokenLifespan",
      "postLogoutRedirectUri",
    ]) ?? {};
  const url = readUrl(r, join(path, "url"), o.url, env, { allowPath: true });
  let origin = "";
  let host = "";
  let pathPrefix = "/";
  try {
    const u = new URL(url);
    origin = u.origin;
    host = u.hostname;
    pathPrefix = u.pathname.replace(/\/+$/, "") || "/";
  } catch {
    /* reported by readUrl */
  }
  if (url && (pathPrefix === "/" || !isValidRoutePath(pathPrefix))) {
    r.fail(
      join(path, "url"),
      `${show(url)} needs a path prefix of plain segments (e.g. https://shop.example.com/app): the gateway serves the app's callback and logout under it`,
    );
  }
  const apiDefault = [`${pathPrefix}/api/`];
  const accessTokenLifespan = o.accessTokenLifespan === undefined ? undefined : readDuration(r, join(path, "accessTokenLifespan"), o.accessTokenLifespan, "5m");
  return {
    name: r.string(join(path, "name"), o.name, P.K8S_NAME),
    url,
    origin,
    host,
    pathPrefix,
    clientId: r.string(join(path, "clientId"), o.clientId, P.CLIENT_ID),
    scopes: r.array(join(path, "scopes"), o.scopes ?? DEFAULT_APP_SCOPES, (p, v) => r.string(p, v, P.SCOPE_NAME), { minItems: 1 }),
    apiPathPrefixes: r.array(join(path, "apiPathPrefixes"), o.apiPathPrefixes ?? apiDefault, (p, v) =>
      r.string(p, v, { pattern: /^\/[A-Za-z0-9._~/-]*\/$/, describe: "a path prefix ending in '/'" }),
    ),
    sessionLifetime: readDuration(r, join(path, "sessionLifetime"), o.sessionLifetime, "8h"),
    sessionIdleTimeout: readDuration(r, join(path, "sessionIdleTimeout"), o.sessionIdleTimeout, "30m"),
    ...(accessTokenLifespan !== undefined ? { accessTokenLifespan } : {}),
    // Without a valid url there is no default to check (the url's own problem says what to fix).
    postLogoutRedirectUri:
      o.postLogoutRedirectUri === undefined && !origin
        ? ""
        : readUrl(r, join(path, "postLogoutRedirectUri"), o.postLogoutRedirectUri ?? `${origin}/`, env, { allowPath: true, exact: true }),
  };
}
