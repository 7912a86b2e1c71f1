import { parseAccessSpec, type AccessSpec, type RawAccessSpec } from "../../../components/access-spec";

/** Network aliases on the test network: the names the gateway and tokens use. */
export const ALIASES = {
  keycloak: "keycloak",
  gateway: "gateway",
  echo: "echo.shop.svc.cluster.local",
  impostor: "impostor.shop.svc.cluster.local",
} as const;

export const KEYCLOAK_URL_IN_NETWORK = `http://${ALIASES.keycloak}:8080`;
/** The browser app signed in at the gateway, as its users' URLs name it. */
export const PORTAL_URL = `http://${ALIASES.gateway}:9080/portal`;
export const PORTAL_USER = "alice";
export const BROWSER_ORIGIN = "http://localhost:5173";

/**
 * The limited routes' budget: small, so a check exhausts it quickly, yet above
 * the matrix's callers (8), whose requests to the limited public route all
 * come from one address; a window long enough that it does not reset mid-check.
 */
export const LIMIT = { requests: 10, window: "30s", windowSeconds: 30 } as const;

/** One machine client per role: the matrix's callers get real Keycloak tokens. */
export const CALLERS = [
  { clientId: "caller-viewer", role: "viewer", tenant: "acme" },
  { clientId: "caller-writer", role: "writer", tenant: "acme" },
  { clientId: "caller-admin", role: "admin", tenant: "globex" },
] as const;

/** The suite's outage bound: the last keys outlive an unreachable realm this long (short, so the drill ends). */
export const OUTAGE_BOUND_SECONDS = 20;

/** A machine client holding every role and no API scope: the matrix's "(no scope)" caller, with a real token. */
export const UNSCOPED_CALLER = { clientId: "caller-unscoped", roles: ["viewer", "writer", "admin"], tenant: "acme" } as const;
/** The API scopes the suite declares: every role caller holds them all (a role column's caller holds every scope). */
export const API_SCOPES = ["orders:read", "orders:write"] as const;
/** The tenant the "(other tenant)" caller's path names (its token says acme). */
export const OTHER_TENANT = "globex";

/**
 * The access spec the suite deploys: dev (plain http to Keycloak inside the
 * test network), an mTLS echo service with protected, admin-only and public
 * routes, and an impostor service whose certificate comes from another CA.
 */
export function integrationRawSpec(keycloakUrl: string = KEYCLOAK_URL_IN_NETWORK): RawAccessSpec {
  return {
    environment: "dev",
    keycloak: { publicUrl: keycloakUrl, internalUrl: keycloakUrl, namespace: "keycloak" },
    realm: {
      name: "e2e",
      roles: ["viewer", "writer", "admin"].map((name) => ({ name })),
      // orders:read also reaches the portal's sign-in (it asks for it); nobody gets either by default in a browser.
      scopes: API_SCOPES.map((name) => ({
        name,
        description: `${name} of the echo service`,
        clients: [...CALLERS.map((c) => c.clientId), ...(name === "orders:read" ? ["portal-gateway"] : [])],
      })),
      groups: [
        { name: "admins", roles: ["admin"] },
        { name: "viewers", roles: ["viewer"] },
      ],
      tokens: { accessTokenLifespan: "5m", ssoSessionIdleTimeout: "30m", ssoSessionMaxLifespan: "1h" },
    },
    clients: {
      gateway: { clientId: "api-gateway" },
      browser: [{ clientId: "web", redirectUris: [`${BROWSER_ORIGIN}/callback`], webOrigins: [BROWSER_ORIGIN] }],
      service: [
        ...CALLERS.map((c) => ({ clientId: c.clientId, roles: [c.role], tenant: c.tenant })),
        { ...UNSCOPED_CALLER, roles: [...UNSCOPED_CALLER.roles] },
      ],
    },
    services: [
      {
        name: "echo",
        namespace: "shop",
        port: 8443,
        routes: [
          {
            path: "/api/orders/*",
            rules: [
              { methods: ["GET", "HEAD"], roles: ["viewer", "writer", "admin"] },
              { methods: ["POST", "PUT", "DELETE"], roles: ["writer", "admin"], scopes: ["orders:write"] },
            ],
          },
          // Tenant-bound: the {tenant} segment must be the token's tenant claim.
          {
            path: "/api/tenants/{tenant}/orders/*",
            rules: [
              { methods: ["GET"], roles: ["viewer", "writer", "admin"], scopes: ["orders:read"] },
              { methods: ["POST"], roles: ["writer", "admin"], scopes: ["orders:write"] },
            ],
          },
          { path: "/api/admin/*", rules: [{ methods: ["GET", "POST"], roles: ["admin"] }] },
          { path: "/api/public", public: true, methods: ["GET"] },
          // Rate limits: per verified caller (a rule's own limit), per client address (public).
          {
            path: "/api/limited/*",
            rules: [{ methods: ["GET"], roles: ["viewer", "writer", "admin"], rateLimit: { requests: LIMIT.requests, window: LIMIT.window } }],
          },
          { path: "/api/limited-public", public: true, methods: ["GET"], rateLimit: { requests: LIMIT.requests, window: LIMIT.window } },
          { path: "/portal/home/*", rules: [{ methods: ["GET"], roles: ["viewer", "admin"] }] },
          { path: "/portal/api/*", rules: [{ methods: ["GET", "POST"], roles: ["viewer", "admin"], scopes: ["orders:read"] }] },
          // Public under the app's path (its static assets): the app's session cookie must not reach the service there.
          { path: "/portal/assets/*", public: true, methods: ["GET"] },
        ],
      },
      {
        name: "impostor",
        namespace: "shop",
        port: 8443,
        routes: [{ path: "/api/impostor/*", rules: [{ methods: ["GET"], roles: ["viewer", "writer", "admin"] }] }],
      },
    ],
    // Short JWKS cache so the key-rotation drill finishes in minutes; iat shows when a session's token was renewed.
    // decisionLogPath: a file the Docker tiers read back (the native tier points it into the instance folder).
    gateway: {
      decisionLogPath: "/usr/local/apisix/logs/decisions.log",
      claimHeaders: [
        { claim: "azp", header: "X-Client-ID" },
        { claim: "iat", header: "X-Token-Issued-At" },
        { claim: "email", header: "X-User-Email" },
      ],
      jwksCacheSeconds: 30,
      unknownKeyRefetchSeconds: 2,
      keysStaleIfUnreachableSeconds: OUTAGE_BOUND_SECONDS,
    },
    // A one-minute access token: the gateway must renew it (30 s leeway) without a new sign-in.
    apps: [
      {
        name: "portal",
        url: PORTAL_URL,
        clientId: "portal-gateway",
        scopes: ["openid", "profile", "email", "orders:read"],
        sessionLifetime: "30m",
        sessionIdleTimeout: "20m",
        accessTokenLifespan: "1m",
      },
    ],
    seedUsers: [{ username: PORTAL_USER, email: "alice@example.com", firstName: "Alice", lastName: "Example", groups: ["viewers"], tenant: "acme" }],
  };
}

/** `keycloakUrl`: where the realm's issuer lives (the Docker network alias, or the native tier's identity provider). */
export function integrationSpec(keycloakUrl?: string): AccessSpec {
  return parseAccessSpec(integrationRawSpec(keycloakUrl));
}

/** The same service names in another realm: its PKI is a different CA issuing certificates for the same DNS names. */
export function impostorSpec(keycloakUrl?: string): AccessSpec {
  const raw = integrationRawSpec(keycloakUrl) as any;
  raw.realm.name = "impostor";
  return parseAccessSpec(raw);
}
