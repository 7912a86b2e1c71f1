import type { StackValidationPolicy } from "@pulumi/policy";
import { parseDuration } from "../contract/durations";
import {
  CLAIMS,
  GATEWAY_POD_LABELS,
  GRANTED_OUTSIDE_SPEC_ATTRIBUTE,
  OIDC_PLUGIN_HEADERS,
  REQUEST_GUARD_PLUGIN,
  isInfrastructureHeader,
} from "../contract/names";
import { gatewayConfigs, pluginConfs, serverDirectives, upstreamNamespaces } from "./apisix";
import { ENVIRONMENT_CONFIG, environmentOf } from "./config";
import { TYPES, type StackResource } from "./types";

const IDENTITY_PLUGIN = "gateway-identity";
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export const ofType = (resources: StackResource[], type: string) => resources.filter((r) => r.type === type);
const sessionConfs = (doc: Parameters<typeof pluginConfs>[0]) => pluginConfs(doc, "openid-connect").filter(({ conf }) => conf.bearer_only === false);

/** The resource a property's value came from (by property dependency, else by id). */
export function dependency(resources: StackResource[], r: StackResource, prop: string): StackResource | undefined {
  const urn = r.propertyDependencies?.[prop]?.[0]?.urn;
  return urn ? resources.find((x) => x.urn === urn) : resources.find((x) => x.props.id !== undefined && x.props.id === r.props[prop]);
}

/** Clients that obtain tokens (any flow on); the audience client itself has none. */
export function callingClients(resources: StackResource[]): StackResource[] {
  return ofType(resources, TYPES.client).filter(
    (c) => c.props.standardFlowEnabled || c.props.serviceAccountsEnabled || c.props.directAccessGrantsEnabled || c.props.implicitFlowEnabled,
  );
}

/**
 * Where a mapper applies: a client scope (reaching each caller that has it as
 * a default scope) or one client. Returns the calling clients it does not reach.
 */
export function clientsMissing(resources: StackResource[], mapper: StackResource): StackResource[] {
  const callers = callingClients(resources);
  const onClient = dependency(resources, mapper, "clientId");
  if (onClient) return callers.filter((c) => c !== onClient);
  const scope = dependency(resources, mapper, "clientScopeId");
  if (!scope) return callers;
  return callers.filter((c) => {
    const defaults = ofType(resources, TYPES.clientDefaultScopes).find((d) => dependency(resources, d, "clientId") === c);
    return !defaults || !(defaults.props.defaultScopes ?? []).includes(scope.props.name);
  });
}

/** Every role a gateway rule names exists in the realm and reaches access tokens. */
export const gatewayRolesReachTokens: StackValidationPolicy = {
  name: "gateway-roles-reach-tokens",
  description: "Every role an APISIX rule requires is a realm role, and a realm-role mapper puts realm roles into every caller's access token.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as StackResource[];
    const realmRoles = new Set(
      ofType(resources, TYPES.role)
        .filter((r) => !r.props.clientId)
        .map((r) => r.props.name),
    );
    const gateways = gatewayConfigs(resources);
    if (gateways.length === 0) return;
    for (const g of gateways) {
      for (const { where, conf } of pluginConfs(g.doc, IDENTITY_PLUGIN)) {
        for (const role of conf.allow_roles ?? []) {
          if (!realmRoles.has(role))
            report(
              `${IDENTITY_PLUGIN} on ${where} requires role "${role}", which no keycloak.Role in the realm declares: no token can carry it. Declare it in realm.roles or fix the rule.`,
              g.resource.urn,
            );
        }
      }
    }
    const mappers = ofType(resources, TYPES.realmRoleMapper).filter(
      (m) => m.props.claimName === CLAIMS.realmRoles && m.props.addToAccessToken !== false && m.props.multivalued === true,
    );
    if (mappers.length === 0) {
      report(
        `no UserRealmRoleProtocolMapper puts realm roles into access tokens at "${CLAIMS.realmRoles}" (multivalued): the gateway would see no roles. Add one to the gateway client scope.`,
      );
      return;
    }
    const unreached = callingClients(resources).filter((c) => mappers.every((m) => clientsMissing(resources, m).includes(c)));
    for (const c of unreached)
      report(
        `client "${c.props.clientId}" does not get the realm-role mapper (its default scopes lack the scope that carries it): its tokens carry no roles.`,
        c.urn,
      );
  },
};

/**
 * A rule whose roles nobody in the stack's realm is given (no group's roles,
 * no service account's) can be passed by nobody the stack creates. Advisory:
 * an admin or an identity provider's mapper may assign a role outside it.
 */
export const gatewayRolesGranted: StackValidationPolicy = {
  name: "gateway-roles-granted",
  description:
    "Each APISIX rule allows at least one realm role that a group grants (GroupRoles) or a service account holds; otherwise nobody the stack creates can pass it.",
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    const resources = args.resources as StackResource[];
    const roleNames = new Map(
      ofType(resources, TYPES.role)
        .filter((r) => !r.props.clientId)
        .map((r) => [r.urn, r.props.name as string]),
    );
    const grants = ofType(resources, TYPES.groupRoles).flatMap((g) => (g.propertyDependencies?.roleIds ?? []).map((d) => roleNames.get(d.urn)));
    // A role marked as given outside the stack (realm.roles[].grantedOutsideSpec) counts as granted, as in the spec's own check.
    const outside = ofType(resources, TYPES.role)
      .filter((r) => !r.props.clientId && r.props.attributes?.[GRANTED_OUTSIDE_SPEC_ATTRIBUTE] === "true")
      .map((r) => r.props.name as string);
    const granted = new Set([...grants, ...outside, ...ofType(resources, TYPES.serviceAccountRealmRole).map((r) => r.props.role as string)].filter(Boolean));
    for (const g of gatewayConfigs(resources)) {
      for (const { where, conf } of pluginConfs(g.doc, IDENTITY_PLUGIN)) {
        const roles: string[] = conf.allow_roles ?? [];
        if (roles.length > 0 && !roles.some((r) => granted.has(r))) {
          report(
            `${IDENTITY_PLUGIN} on ${where} allows only roles no group grants and no service account holds (${roles.join(", ")}): nobody the stack creates can pass it. Grant one in realm.groups or clients.service, or mark a role given outside the stack (realm.roles[].grantedOutsideSpec: the role's attribute ${GRANTED_OUTSIDE_SPEC_ATTRIBUTE}).`,
            g.resource.urn,
          );
        }
      }
    }
  },
};

/** The audience the gateway demands is the one Keycloak emits to its callers. */
export const audienceEmitted: StackValidationPolicy = {
  name: "gateway-audience-emitted",
  description:
    "The audience the gateway checks (the identity plugin's audience) is added to access tokens by an audience mapper that every calling client gets.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as StackResource[];
    for (const g of gatewayConfigs(resources)) {
      const audiences = new Set(
        pluginConfs(g.doc, IDENTITY_PLUGIN)
          .map(({ conf }) => conf.audience as string)
          .filter(Boolean),
      );
      for (const aud of audiences) {
        const mappers = ofType(resources, TYPES.audienceMapper).filter(
          (m) => (m.props.includedClientAudience === aud || m.props.includedCustomAudience === aud) && m.props.addToAccessToken !== false,
        );
        if (mappers.length === 0) {
          report(
            `the gateway requires audience "${aud}" but no AudienceProtocolMapper adds it to access tokens: every token would be refused with 401. Add an audience mapper for "${aud}".`,
            g.resource.urn,
          );
          continue;
        }
        const unreached = callingClients(resources).filter((c) => mappers.every((m) => clientsMissing(resources, m).includes(c)));
        for (const c of unreached)
          report(
            `client "${c.props.clientId}" does not get the "${aud}" audience mapper: its tokens would be refused by the gateway. Add the mapper's scope to its default scopes.`,
            c.urn,
          );
      }
    }
  },
};

/** The gateway trusts exactly the issuer Keycloak puts in tokens. */
export const issuerMatchesRealm: StackValidationPolicy = {
  name: "gateway-issuer-matches-realm",
  description: "APISIX's valid_issuers is exactly the realm's public issuer (<frontendUrl>/realms/<realm>), and discovery points at the same realm.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as StackResource[];
    const realms = ofType(resources, TYPES.realm);
    for (const g of gatewayConfigs(resources)) {
      for (const { where, conf } of pluginConfs(g.doc, "openid-connect")) {
        const realm = realms.find((r) => r.props.realm === conf.realm);
        if (!realm) {
          report(`openid-connect on ${where} names realm "${conf.realm}", which this stack does not declare.`, g.resource.urn);
          continue;
        }
        const frontend = realm.props.attributes?.frontendUrl as string | undefined;
        if (!frontend) {
          report(
            `realm "${conf.realm}" sets no frontendUrl attribute, so its token issuer depends on how Keycloak is reached. Set attributes.frontendUrl to the public URL.`,
            realm.urn,
          );
          continue;
        }
        const issuer = `${frontend.replace(/\/+$/, "")}/realms/${conf.realm}`;
        const valid = conf.claim_validator?.issuer?.valid_issuers ?? [];
        if (conf.bearer_only !== false && (valid.length !== 1 || valid[0] !== issuer))
          report(
            `openid-connect on ${where} accepts issuers ${JSON.stringify(valid)} but realm "${conf.realm}" issues "${issuer}". Set valid_issuers to ["${issuer}"].`,
            g.resource.urn,
          );
        if (!String(conf.discovery ?? "").endsWith(`/realms/${conf.realm}/.well-known/openid-configuration`)) {
          report(
            `openid-connect on ${where} fetches discovery from ${conf.discovery}, not realm "${conf.realm}". Point discovery at <internal Keycloak>/realms/${conf.realm}/.well-known/openid-configuration.`,
            g.resource.urn,
          );
        }
      }
    }
  },
};

function selectsAllPods(selector: Record<string, any> | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}

/** Selects every pod, restricts ingress, allows nothing. */
function isDefaultDenyIngress(p: StackResource): boolean {
  const spec = p.props.spec ?? {};
  return selectsAllPods(spec.podSelector) && (spec.policyTypes ?? []).includes("Ingress") && (spec.ingress ?? []).length === 0;
}

function admitsGateway(p: StackResource, gatewayNamespace: string): boolean {
  return (p.props.spec?.ingress ?? []).some((rule: any) =>
    (rule.from ?? []).some(
      (peer: any) =>
        peer.namespaceSelector?.matchLabels?.[NAMESPACE_NAME_LABEL] === gatewayNamespace &&
        Object.entries(GATEWAY_POD_LABELS).every(([k, v]) => peer.podSelector?.matchLabels?.[k] === v),
    ),
  );
}

/** Services are reachable only through the gateway. */
export const serviceNamespacesIsolated: StackValidationPolicy = {
  name: "service-namespaces-isolated",
  description: "Every namespace an APISIX upstream lives in has a default-deny ingress NetworkPolicy and one that admits the gateway's pods.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as StackResource[];
    const policies = ofType(resources, TYPES.networkPolicy);
    for (const g of gatewayConfigs(resources)) {
      for (const ns of [...new Set(upstreamNamespaces(g.doc).map((u) => u.namespace))]) {
        const inNs = policies.filter((p) => p.props.metadata?.namespace === ns);
        if (!inNs.some(isDefaultDenyIngress))
          report(
            `namespace "${ns}" (an upstream of the gateway) has no default-deny ingress NetworkPolicy: any pod can call its services with forged identity headers. Add one (podSelector: {}, policyTypes: [Ingress]).`,
            g.resource.urn,
          );
        if (!inNs.some((p) => admitsGateway(p, g.namespace)))
          report(
            `namespace "${ns}" has no NetworkPolicy admitting the gateway's pods from namespace "${g.namespace}": the gateway cannot reach its services. Add an ingress rule from the gateway's namespace and pod labels.`,
            g.resource.urn,
          );
      }
    }
  },
};

/**
 * In prod the gateway authenticates to every service and verifies it: https,
 * a client certificate (per upstream, or nginx's proxy_ssl_certificate for
 * all), and proxy_ssl_verify with a trusted CA.
 */
export const prodUpstreamsMtls: StackValidationPolicy = {
  name: "prod-upstreams-mtls",
  description: "In prod every APISIX upstream is https, presents the gateway's client certificate and verifies the service's certificate.",
  enforcementLevel: "mandatory",
  configSchema: ENVIRONMENT_CONFIG,
  validateStack: (args, report) => {
    if (environmentOf(args.getConfig()).environment !== "prod") return;
    for (const g of gatewayConfigs(args.resources as StackResource[])) {
      const server = serverDirectives(g.config);
      const nginxClientCert = server.has("proxy_ssl_certificate") && server.has("proxy_ssl_certificate_key");
      const verifies = server.get("proxy_ssl_verify") === "on" && Boolean(g.config.apisix?.ssl?.ssl_trusted_certificate);
      for (const u of g.doc.upstreams ?? []) {
        if (u.scheme !== "https")
          report(
            `upstream "${u.id}" uses ${u.scheme ?? "http"} in prod. Enable mTLS for the service (scheme https with the gateway's client certificate).`,
            g.resource.urn,
          );
        else if (!nginxClientCert && !u.tls?.client_cert_id && !u.tls?.client_cert)
          report(
            `upstream "${u.id}" is https without a client certificate in prod. Set proxy_ssl_certificate and proxy_ssl_certificate_key in nginx_config.http_server_configuration_snippet.`,
            g.resource.urn,
          );
        else if (!verifies)
          report(
            `upstream "${u.id}" is https but the gateway does not verify the service's certificate in prod. Set proxy_ssl_verify on and apisix.ssl.ssl_trusted_certificate.`,
            g.resource.urn,
          );
      }
    }
  },
};

/** Authentication on every route that reaches a service, unless the spec says public. */
export const routesAuthenticated: StackValidationPolicy = {
  name: "routes-authenticated",
  description:
    "Every APISIX route that reaches an upstream runs openid-connect and the identity plugin with the roles it allows, unless it is labelled public by the access spec.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const g of gatewayConfigs(args.resources as StackResource[])) {
      for (const r of g.doc.routes ?? []) {
        const served = r.upstream_id !== undefined || r.upstream !== undefined || r.service_id !== undefined;
        if (!served || r.labels?.access === "public") continue;
        const missing = ["openid-connect", IDENTITY_PLUGIN].filter((p) => !r.plugins?.[p]);
        if (missing.length > 0)
          report(
            `route ${r.id} (${r.uri}) reaches an upstream without ${missing.join(", ")} and is not marked public. Add the rule to the access spec, or mark the route public there.`,
            g.resource.urn,
          );
        else if (!(r.plugins[IDENTITY_PLUGIN].allow_roles?.length > 0))
          report(
            `route ${r.id} (${r.uri}) runs ${IDENTITY_PLUGIN} without allow_roles: no role check. Give the rule its roles in the access spec.`,
            g.resource.urn,
          );
      }
    }
  },
};

/** The anti-spoofing rule removes every header the gateway sets. */
export const headerStrippingCoversIdentity: StackValidationPolicy = {
  name: "header-stripping-covers-identity",
  description: "A global rule removes from every request each header the identity plugin sets and APISIX's own token headers.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const g of gatewayConfigs(args.resources as StackResource[])) {
      // Either plugin may do it: APISIX's proxy-rewrite, or the project's request guard.
      const removed = new Set<string>(
        (g.doc.global_rules ?? [])
          .flatMap((rule) => [
            ...((rule.plugins?.["proxy-rewrite"]?.headers?.remove ?? []) as string[]),
            ...((rule.plugins?.[REQUEST_GUARD_PLUGIN]?.strip_headers ?? []) as string[]),
          ])
          .map((h) => h.toLowerCase()),
      );
      const set = pluginConfs(g.doc, IDENTITY_PLUGIN).flatMap(({ conf }) => [
        conf.user_id_header ?? "X-User-ID",
        conf.roles_header ?? "X-User-Role",
        conf.tenant_header ?? "X-Tenant-ID",
        ...(conf.claim_headers ?? []).map((c: any) => c.header),
      ]);
      for (const h of [...new Set([...set, ...OIDC_PLUGIN_HEADERS])]) {
        if (!removed.has(h.toLowerCase()))
          report(
            `no global rule removes "${h}" from incoming requests: a client could send it and a service would trust it. Add it to the header-stripping global rule's ${REQUEST_GUARD_PLUGIN}.strip_headers (or a proxy-rewrite.headers.remove).`,
            g.resource.urn,
          );
      }
    }
  },
};

/** No claim reaches a service under a header that tells proxies and frameworks what the request "really" was. */
export const claimHeadersNotInfrastructure: StackValidationPolicy = {
  name: "claim-headers-not-infrastructure",
  description:
    "The identity plugin maps no claim onto a header proxies and frameworks act on (X-Forwarded-*, X-Real-IP, X-Original-*, X-Rewrite-URL, method overrides, X-Request-ID): whoever sets the claim would choose the client, path or method a service sees.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const g of gatewayConfigs(args.resources as StackResource[])) {
      for (const { where, conf } of pluginConfs(g.doc, IDENTITY_PLUGIN)) {
        for (const c of (conf.claim_headers ?? []) as Array<{ claim: string; header: string }>) {
          if (isInfrastructureHeader(String(c.header)))
            report(
              `${where} passes claim "${c.claim}" to services as ${c.header}, a header proxies and frameworks act on (client address, host, path or method): whoever sets that claim would choose it. Map it to a header of its own.`,
              g.resource.urn,
            );
        }
      }
    }
  },
};

/** Browser sessions at the gateway never outlive Keycloak's, and sign in through an exact, confidential client. */
export const browserSessionsWithinKeycloak: StackValidationPolicy = {
  name: "browser-sessions-within-keycloak",
  description:
    "A gateway browser session lasts no longer than the Keycloak client and realm sessions behind it, and signs in with a confidential client whose redirect URIs list the gateway's callback exactly.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as StackResource[];
    for (const g of gatewayConfigs(resources)) {
      for (const { where, conf } of sessionConfs(g.doc)) {
        const client = ofType(resources, TYPES.client).find((c) => c.props.clientId === conf.client_id);
        if (!client) {
          report(`openid-connect on ${where} signs in with client "${conf.client_id}", which this stack does not declare.`, g.resource.urn);
          continue;
        }
        if (client.props.accessType !== "CONFIDENTIAL")
          report(
            `client "${conf.client_id}" used for browser sessions at the gateway is ${client.props.accessType}; it must be CONFIDENTIAL (its secret stays at the gateway).`,
            client.urn,
          );
        if (!(client.props.validRedirectUris ?? []).includes(conf.redirect_uri))
          report(`client "${conf.client_id}" does not list the gateway's callback "${conf.redirect_uri}" among its exact redirect URIs.`, client.urn);
        const lifetime = conf.session?.absolute_timeout as number | undefined;
        const idle = conf.session?.idling_timeout as number | undefined;
        const clientMax = client.props.clientSessionMaxLifespan ? Number(client.props.clientSessionMaxLifespan) : undefined;
        const realm = ofType(resources, TYPES.realm).find((r) => r.props.realm === conf.realm);
        const realmMax = realm?.props.ssoSessionMaxLifespan ? parseDuration(realm.props.ssoSessionMaxLifespan) : undefined;
        const realmIdle = realm?.props.ssoSessionIdleTimeout ? parseDuration(realm.props.ssoSessionIdleTimeout) : undefined;
        if (lifetime === undefined)
          report(
            `openid-connect on ${where} sets no session.absolute_timeout: the session cookie could outlive Keycloak's session. Set it from the spec's sessionLifetime.`,
            g.resource.urn,
          );
        else {
          if (clientMax !== undefined && lifetime > clientMax)
            report(
              `the session on ${where} lasts ${lifetime}s, longer than client "${conf.client_id}"'s Keycloak session (${clientMax}s): its refresh token dies first. Keep them equal.`,
              g.resource.urn,
            );
          if (realmMax !== undefined && lifetime > realmMax)
            report(`the session on ${where} lasts ${lifetime}s, longer than realm "${conf.realm}"'s ssoSessionMaxLifespan (${realmMax}s).`, g.resource.urn);
        }
        if (idle !== undefined && realmIdle !== undefined && idle > realmIdle)
          report(`the session on ${where} idles out after ${idle}s, later than realm "${conf.realm}"'s ssoSessionIdleTimeout (${realmIdle}s).`, g.resource.urn);
      }
    }
  },
};
