/**
 * An OpenID provider that speaks like the Keycloak realm this project
 * provisions, for the native gateway tier: `oidc-provider` (OpenID Certified)
 * mounted at Keycloak's paths (`/realms/<realm>/.well-known/openid-configuration`,
 * `/protocol/openid-connect/{auth,token,certs,logout,revoke,userinfo}`), its
 * clients, users, roles, audience, tenant claim and lifespans taken from the
 * realm model (see realm-model.ts). Access tokens are RS256 JWTs shaped like
 * Keycloak's: `iss`, `sub`, `aud` (from the audience mapper), `azp`,
 * `realm_access.roles` (with Keycloak's default roles), the tenant claim,
 * `preferred_username`, `scope` (with the API scopes the client is granted, or
 * asked for and may have), `typ: Bearer`, `iat`, `exp`.
 *
 * Where it differs from Keycloak (and the Docker Keycloak tier covers it):
 * the login page is a minimal form; logout asks for confirmation with a form
 * (Keycloak logs out at once when given an id_token_hint); refresh-token reuse
 * is not detected across sessions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { RealmClient, RealmModel, RealmUser } from "./realm-model";

// oidc-provider and jose are ES modules; this project compiles to CommonJS.
const load = async () => ({ Provider: (await import("oidc-provider")).default, jose: await import("jose") });

/** Roles Keycloak gives every user and service account through the realm's default-roles composite. */
export const keycloakDefaultRoles = (realm: string) => [`default-roles-${realm}`, "offline_access", "uma_authorization"];

const KEYCLOAK_PATHS = {
  authorization: "/protocol/openid-connect/auth",
  token: "/protocol/openid-connect/token",
  jwks: "/protocol/openid-connect/certs",
  end_session: "/protocol/openid-connect/logout",
  revocation: "/protocol/openid-connect/revoke",
  userinfo: "/protocol/openid-connect/userinfo",
  introspection: "/protocol/openid-connect/token/introspect",
} as const;

/** The one resource server: every access token is a JWT for the gateway. */
const RESOURCE = "urn:gateway-auth:gateway";

export interface SigningKey {
  kid: string;
  privateJwk: Record<string, unknown>;
  privateKeyPem: string;
  publicKeyPem: string;
}

async function newKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { jose } = await load();
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
  return {
    kid,
    privateJwk: { ...(await jose.exportJWK(privateKey)), kid, alg: "RS256", use: "sig" },
    privateKeyPem: await jose.exportPKCS8(privateKey),
    publicKeyPem: await jose.exportSPKI(publicKey),
  };
}

function setClaim(payload: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split(".");
  let at = payload;
  for (const p of parts.slice(0, -1)) at = at[p] ??= {};
  at[parts.at(-1)!] = value;
}

/** What Keycloak's mappers put into an access token for this client (and user, in the code flow). */
export function keycloakAccessClaims(model: RealmModel, client: RealmClient, user: RealmUser | undefined): Record<string, any> {
  const claims: Record<string, any> = { azp: client.clientId, typ: "Bearer" };
  if (client.audiences.length > 0) claims.aud = client.audiences.length === 1 ? client.audiences[0] : client.audiences;
  else claims.aud = [];
  const roles = user ? user.roles : (client.serviceAccount?.roles ?? []);
  if (client.realmRolesClaim) setClaim(claims, client.realmRolesClaim, [...keycloakDefaultRoles(model.name), ...roles]);
  if (user) {
    for (const m of client.attributeClaims) if (user.attributes[m.attribute] !== undefined) setClaim(claims, m.claim, user.attributes[m.attribute]);
    Object.assign(claims, {
      sub: user.id,
      preferred_username: user.username,
      email: user.email,
      email_verified: user.emailVerified,
      given_name: user.firstName,
      family_name: user.lastName,
    });
  } else {
    Object.assign(claims, { sub: client.serviceAccount?.userId, preferred_username: `service-account-${client.clientId}`, client_id: client.clientId });
  }
  for (const [k, v] of Object.entries(client.hardcodedClaims)) setClaim(claims, k, v);
  return claims;
}

export class RealmIdentityProvider {
  /** Requests served, by endpoint (`discovery`, `jwks`, `token`, `authorization`, `revocation`, `end_session`, `userinfo`, `login`). */
  readonly calls = new Map<string, number>();
  /** While true, every connection is dropped before an answer: the realm is down (counted as `unreachable`). */
  unreachable = false;
  /** While true, requests are taken and never answered: the realm hangs, or a network black-holes it (counted as `stalled`). */
  stalled = false;
  /** A sign-in's API scopes (grant id -> names): the client's defaults and the optional ones it asked for. */
  private readonly grantedApiScopes = new Map<string, string[]>();
  private provider: any;
  private keys: SigningKey[] = [];
  /** Published in the JWKS, never used by the provider itself: signs claim-isolation tokens in tests. */
  testKey!: SigningKey;

  private constructor(
    readonly model: RealmModel,
    private readonly server: Server,
    readonly address: { host: string; port: number },
  ) {}

  get issuer(): string {
    return this.model.issuer;
  }
  get prefix(): string {
    return `/realms/${this.model.name}`;
  }
  /** The key the provider signs with now. */
  get activeKid(): string {
    return this.keys[0].kid;
  }
  count(endpoint: string): number {
    return this.calls.get(endpoint) ?? 0;
  }

  /** Listens on an already-chosen loopback port (the issuer names it, so the realm is rendered before the provider starts). */
  static async start(model: RealmModel, port: number): Promise<RealmIdentityProvider> {
    const url = new URL(model.issuer);
    const server = createServer();
    const idp = new RealmIdentityProvider(model, server, { host: url.hostname, port });
    idp.keys = [await newKey()];
    idp.testKey = await newKey("gateway-auth-test-key");
    idp.provider = await idp.build();
    server.on("request", (req, res) =>
      idp.handle(req, res).catch((e) => {
        res.statusCode = 500;
        res.end(String(e));
      }),
    );
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, url.hostname, resolve));
    return idp;
  }

  /** Key rotation: a new key signs from now on; the old ones stay published until retired. */
  async rotate(): Promise<string> {
    this.keys = [await newKey(), ...this.keys];
    this.provider = await this.build();
    return this.activeKid;
  }

  /** Takes a key out of the JWKS (Keycloak: the key provider disabled). */
  async retire(kid: string): Promise<void> {
    if (kid === this.activeKid) throw new Error("retire the active key only after rotating");
    this.keys = this.keys.filter((k) => k.kid !== kid);
    this.provider = await this.build();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private endpointOf(path: string): string {
    const rest = path.slice(this.prefix.length);
    if (rest.startsWith("/.well-known/openid-configuration")) return "discovery";
    if (rest.startsWith("/login-actions/")) return "login";
    const hit = Object.entries(KEYCLOAK_PATHS).find(([, p]) => rest === p || rest.startsWith(`${p}/`) || rest.startsWith(`${p}?`));
    return hit ? hit[0] : "other";
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? "/";
    if (!path.startsWith(`${this.prefix}/`)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const endpoint = this.unreachable ? "unreachable" : this.stalled ? "stalled" : this.endpointOf(path.split("?")[0]);
    this.calls.set(endpoint, this.count(endpoint) + 1);
    if (this.unreachable) return void req.socket.destroy();
    if (this.stalled) return; // the socket stays open, unanswered, until the caller gives up (or stop())
    if (endpoint === "login") return this.login(req, res);
    // Mounted under the realm's path: oidc-provider reads its mount from originalUrl.
    (req as any).originalUrl = path;
    req.url = path.slice(this.prefix.length) || "/";
    return this.provider.callback()(req, res);
  }

  /** Keycloak's login page, reduced to the form a browser posts. */
  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await this.provider.interactionDetails(req, res);
    const page = (error = "") => {
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(
        `<!DOCTYPE html><html><body>${error ? `<p id="input-error">${error}</p>` : ""}<form id="kc-form-login" method="post" action="${this.prefix}/login-actions/${details.uid}/authenticate"><input name="username"><input name="password" type="password"><button type="submit">Sign In</button></form></body></html>`,
      );
    };
    if (req.method !== "POST") return page();
    let body = "";
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    const user = this.model.users.find((u) => u.username === form.get("username") || u.email === form.get("username"));
    if (!user || user.password !== form.get("password")) {
      res.statusCode = 200;
      return page("Invalid username or password.");
    }
    await this.provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
  }

  private clientOf(clientId: string): RealmClient {
    const c = this.model.clients.find((x) => x.clientId === clientId);
    if (!c) throw new Error(`no client ${clientId} in realm ${this.model.name}`);
    return c;
  }

  private async build(): Promise<any> {
    const { Provider } = await load();
    const model = this.model;
    const lifespan = (clientId: string) => this.clientOf(clientId).accessTokenLifespan ?? model.accessTokenLifespan;
    const activeKid = this.activeKid;
    const provider = new Provider(model.issuer, {
      clients: model.clients.map((c) => ({
        client_id: c.clientId,
        ...(c.secret ? { client_secret: c.secret } : {}),
        token_endpoint_auth_method: c.confidential ? "client_secret_basic" : "none",
        grant_types: [
          ...(c.clientCredentials ? ["client_credentials"] : []),
          ...(c.authorizationCode ? ["authorization_code"] : []),
          ...(c.authorizationCode && c.refreshTokens ? ["refresh_token"] : []),
        ],
        response_types: c.authorizationCode ? ["code"] : [],
        redirect_uris: c.authorizationCode ? c.redirectUris : [],
        post_logout_redirect_uris: c.postLogoutRedirectUris,
      })),
      clientAuthMethods: ["client_secret_basic", "none"],
      jwks: { keys: [...this.keys.map((k) => k.privateJwk), this.testKey.privateJwk] },
      routes: KEYCLOAK_PATHS,
      // The API's scopes too, so a sign-in (and its refreshes) may ask for them.
      scopes: ["openid", "offline_access", "profile", "email", ...new Set(model.clients.flatMap((c) => [...c.apiScopes.defaults, ...c.apiScopes.optional]))],
      claims: { openid: ["sub"], profile: ["name", "given_name", "family_name", "preferred_username"], email: ["email", "email_verified"] },
      findAccount: (_ctx: unknown, sub: string) => {
        const user = model.users.find((u) => u.id === sub);
        return (
          user && {
            accountId: sub,
            claims: () => ({
              sub,
              preferred_username: user.username,
              email: user.email,
              email_verified: user.emailVerified,
              given_name: user.firstName,
              family_name: user.lastName,
              name: [user.firstName, user.lastName].filter(Boolean).join(" "),
            }),
          }
        );
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        revocation: { enabled: true },
        userinfo: { enabled: true },
        introspection: { enabled: true },
        rpInitiatedLogout: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, _resource: string, client: { clientId: string }) => ({
            scope: "gateway",
            audience: RESOURCE,
            accessTokenTTL: lifespan(client.clientId),
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "RS256", kid: activeKid } },
          }),
        },
      },
      formats: {
        customizers: {
          jwt: (
            _ctx: unknown,
            token: { clientId: string; accountId?: string; grantId?: string },
            jwt: { header?: Record<string, unknown>; payload: Record<string, any> },
          ) => {
            const client = this.clientOf(token.clientId);
            const user = token.accountId ? model.users.find((u) => u.id === token.accountId) : undefined;
            const { iss, iat, exp, jti } = jwt.payload;
            const api = (token.grantId && this.grantedApiScopes.get(token.grantId)) || client.apiScopes.defaults;
            jwt.payload = {
              exp,
              iat,
              jti,
              iss,
              ...keycloakAccessClaims(model, client, user),
              scope: [user ? "openid profile email" : "profile email", ...api].join(" "),
            };
            jwt.header = { typ: "JWT" };
          },
        },
      },
      pkce: { required: (_ctx: unknown, client: { clientId: string }) => this.clientOf(client.clientId).pkceS256 },
      ttl: {
        AccessToken: (_ctx: unknown, token: { clientId: string }) => lifespan(token.clientId),
        ClientCredentials: (_ctx: unknown, token: { clientId: string }) => lifespan(token.clientId),
        IdToken: (_ctx: unknown, token: { clientId?: string }) => (token.clientId ? lifespan(token.clientId) : model.accessTokenLifespan),
        RefreshToken: model.ssoSessionIdleTimeout,
        Session: model.ssoSessionMaxLifespan,
        Grant: model.ssoSessionMaxLifespan,
        Interaction: 600,
        AuthorizationCode: 60,
      },
      // Keycloak issues a refresh token with every code exchange of a client that uses them.
      issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed("refresh_token"),
      rotateRefreshToken: model.rotateRefreshTokens,
      // First-party clients (Keycloak: consentRequired false): grant what they ask, no consent screen.
      loadExistingGrant: async (ctx: any) => {
        const existing = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (existing) return ctx.oidc.provider.Grant.find(existing);
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
        // Keycloak: a client's default API scopes always, its optional ones when the sign-in asks for them.
        const asked = String(ctx.oidc.params?.scope ?? "").split(" ");
        const client = this.clientOf(ctx.oidc.client.clientId);
        const api = [...client.apiScopes.defaults, ...client.apiScopes.optional.filter((s) => asked.includes(s))];
        grant.addOIDCScope(["openid profile email offline_access", ...api].join(" "));
        grant.addOIDCClaims(["sub", "preferred_username", "email", "email_verified", "given_name", "family_name", "name"]);
        grant.addResourceScope(RESOURCE, "gateway");
        await grant.save();
        this.grantedApiScopes.set(grant.jti, api);
        return grant;
      },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${this.prefix}/login-actions/${interaction.uid}` },
      cookies: { keys: ["gateway-auth-native-tier-only"] },
      responseTypes: ["code"],
      conformIdTokenClaims: false,
    });
    // No uncaught noise from expected refusals (bad client secrets, replayed codes).
    provider.on("server_error", (_ctx: unknown, err: Error) => console.error(`[identity provider] ${err.stack}`));
    return provider;
  }
}
