import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CLAIMS,
  IDENTITY_HEADERS,
  REQUEST_GUARD_PLUGIN,
  longestAccessTokenLifespan,
  tenantSegmentIndex,
  type AccessSpec,
  type BrowserAppSpec,
  type ServiceSpec,
} from "../access-spec";

/** The cookie an app's session lives in (lua-resty-session adds _2, _3 ... chunks to long ones). */
export const appSessionCookie = (app: Pick<BrowserAppSpec, "name">) => `${app.name}_session`;

/** The project's APISIX plugin: verified claims -> the rule's role check, ctx.external_user, identity headers. */
export const IDENTITY_PLUGIN = "gateway-identity";
/** The project's plugin before openid-connect on bearer routes: at most one JWKS refetch per interval for unknown keys. */
export const KEY_GUARD_PLUGIN = "gateway-key-guard";
/** The project's global plugin: request ids, Retry-After, and the decision log (one JSON line per request). */
export const DECISIONS_PLUGIN = "gateway-decisions";
/** The project's global plugin that removes what the gateway consumes or vouches for and refuses requests frameworks would read otherwise. */
export { REQUEST_GUARD_PLUGIN } from "../access-spec";
/** Every plugin this project ships (Lua, in lua/apisix/plugins). */
export const PROJECT_PLUGINS = [IDENTITY_PLUGIN, KEY_GUARD_PLUGIN, DECISIONS_PLUGIN, REQUEST_GUARD_PLUGIN] as const;
/** Modules the plugins share (in the plugins folder, not plugins: config.yaml does not list them). */
export const PROJECT_LUA_MODULES = ["gateway-auth-helpers", "gateway-auth-verified-tokens"] as const;

/** Where plugins live in the APISIX container (`apisix.extra_lua_path` points at the folder above `apisix/plugins`). */
export const PLUGIN_ROOT = "/opt/apisix-plugins";
export const PLUGIN_DIR = `${PLUGIN_ROOT}/apisix/plugins`;

/** The project's plugins' and shared modules' Lua sources, shipped as is: `plugins/<name>.lua` -> source. */
export function projectPluginFiles(): Record<string, string> {
  return Object.fromEntries(
    [...PROJECT_PLUGINS, ...PROJECT_LUA_MODULES].map((name) => [
      `plugins/${name}.lua`,
      readFileSync(join(__dirname, "lua", "apisix", "plugins", `${name}.lua`), "utf8"),
    ]),
  );
}

export interface IdentityPluginConf {
  known_roles: string[];
  /** The rule's roles: the caller needs one of them (403 otherwise). */
  allow_roles: string[];
  /** The rule's scopes: the token's `scope` claim must carry every one (403 insufficient_scope otherwise). */
  required_scopes: string[];
  /** Tenant-bound routes: the 1-based path segment that must equal the tenant claim (403 tenant_mismatch otherwise). */
  tenant_segment?: number;
  /** userinfo: bearer tokens (X-Userinfo, verified by openid-connect); access_token: browser sessions. */
  claims_source: "userinfo" | "access_token";
  roles_claim: string;
  tenant_claim: string;
  user_id_header: string;
  roles_header: string;
  tenant_header: string;
  claim_headers: Array<{ claim: string; header: string }>;
  forward_userinfo: boolean;
  /** The service opted in to receive the caller's Authorization header. */
  forward_authorization: boolean;
  /** Browser-app routes: the gateway's session cookie, removed before the request reaches the service. */
  session_cookie?: string;
  /** Browser-app routes: unsafe methods must come from this origin. */
  app_origin?: string;
  /** The gateway's client id, which every token must name in aud (checked here: 401 invalid_token). */
  audience: string;
  /** The longest exp - iat the realm issues (seconds): tokens claiming more, or issued in the future, are refused. */
  max_token_lifetime: number;
  realm: string;
  /** The spec's machine clients: each one's tokens share one rate-limit budget (the client's). */
  service_clients: string[];
}

/** What one rule asks of a caller: one of its roles, every one of its scopes, and (a `{tenant}` path) the tenant it names. */
export interface RuleAccess {
  roles: string[];
  scopes?: string[];
  routePath?: string;
}

/** Configuration of the identity plugin for one rule: which roles exist, which it allows, which scopes and tenant it demands, which claim goes to which header. */
export function renderIdentityPluginConf(
  spec: AccessSpec,
  rule: RuleAccess,
  claimsSource: IdentityPluginConf["claims_source"] = "userinfo",
  service?: Pick<ServiceSpec, "forwardBearerToken">,
  app?: Pick<BrowserAppSpec, "name" | "origin">,
): IdentityPluginConf {
  const tenantSegment = rule.routePath ? tenantSegmentIndex(rule.routePath) : undefined;
  return {
    known_roles: spec.realm.roles.map((r) => r.name),
    allow_roles: [...rule.roles].sort(),
    required_scopes: [...(rule.scopes ?? [])].sort(),
    ...(tenantSegment ? { tenant_segment: tenantSegment } : {}),
    claims_source: claimsSource,
    roles_claim: CLAIMS.realmRoles,
    tenant_claim: spec.realm.tenantAttribute,
    user_id_header: IDENTITY_HEADERS.userId,
    roles_header: IDENTITY_HEADERS.roles,
    tenant_header: IDENTITY_HEADERS.tenant,
    claim_headers: spec.gateway.claimHeaders.map((c) => ({ claim: c.claim, header: c.header })),
    forward_userinfo: spec.gateway.forwardUserinfo,
    forward_authorization: service?.forwardBearerToken ?? false,
    audience: spec.clients.gateway.clientId,
    max_token_lifetime: longestAccessTokenLifespan(spec),
    realm: spec.realm.name,
    service_clients: spec.clients.service.map((c) => c.clientId),
    ...(app ? { session_cookie: appSessionCookie(app), app_origin: app.origin } : {}),
  };
}

/** Every header the gateway sets from verified claims. */
export function managedIdentityHeaders(spec: AccessSpec): string[] {
  return [...Object.values(IDENTITY_HEADERS), ...spec.gateway.claimHeaders.map((c) => c.header)];
}
