import type * as keycloak from "@pulumi/keycloak";
import type { AccessSpec, ApiScopeSpec } from "../access-spec";

/**
 * An API scope as a Keycloak client scope: named as rules require it,
 * carried in the access token's `scope` claim, its description shown on the
 * consent screen of clients that ask for consent.
 */
export function renderApiClientScope(scope: ApiScopeSpec): Omit<keycloak.openid.ClientScopeArgs, "realmId"> {
  return { name: scope.name, description: scope.description, includeInTokenScope: true, consentScreenText: scope.description || scope.name };
}

/** The API scopes one client gets in every token (`defaults`) and may ask for (`optional`). */
export interface ClientApiScopes {
  defaults: string[];
  optional: string[];
}

/**
 * Which API scopes a client gets: a service client, every scope listing it
 * (client credentials ask for nothing: what it is granted is in each token);
 * a browser client or an app's client, those listing it, by default when the
 * scope says `browserDefault`, else only when it asks.
 */
export function apiScopesOfClient(spec: Pick<AccessSpec, "realm" | "clients">, clientId: string): ClientApiScopes {
  const listed = spec.realm.scopes.filter((s) => s.clients.includes(clientId));
  if (spec.clients.service.some((c) => c.clientId === clientId)) return { defaults: listed.map((s) => s.name), optional: [] };
  return { defaults: listed.filter((s) => s.browserDefault).map((s) => s.name), optional: listed.filter((s) => !s.browserDefault).map((s) => s.name) };
}
