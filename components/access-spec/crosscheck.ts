import { LocatedRoute, allRoutes, appCallbackPath, appLogoutPath, appOfRoute, corsEnabled, overlappingPathPairs, routeMethods, sameAccess } from "./access";
import { ENVIRONMENT_DEFAULTS, SSL_REQUIRED_STRENGTH } from "./defaults";
import { formatDuration, parseDuration } from "./durations";
import {
  GATEWAY_SCOPE_NAME,
  IDENTITY_HEADERS,
  KEYCLOAK_BUILTIN_SCOPES,
  OIDC_PLUGIN_HEADERS,
  gatewayToServicePolicyName,
  isInfrastructureHeader,
  serviceMtlsSecretName,
} from "./names";
import { perReplicaCounters } from "./rate-limits";
import { trustWidenings } from "./widenings";
import { SpecReader, didYouMean, show } from "./reader";
import { AccessSpec, HTTP_METHODS } from "./types";

/** Checks that need the whole spec: names that refer to each other, and environment bounds. */
export function crossCheck(r: SpecReader, spec: AccessSpec): void {
  checkRealm(r, spec);
  checkClients(r, spec);
  checkScopes(r, spec);
  checkRoutes(r, spec);
  checkRulesReachable(r, spec);
  if (spec.environment === "prod") for (const w of trustWidenings(spec)) r.fail(w.path, `${w.why}; refused in prod (dev and staging warn)`);
  checkGateway(r, spec);
  checkSeedUsers(r, spec);
  checkMtls(r, spec);
  checkApps(r, spec);
  checkObjectNames(r, spec);
}

/** Kubernetes refuses names over 63 characters, at apply time: say so now, for the longest names derived from each service. */
function checkObjectNames(r: SpecReader, spec: AccessSpec): void {
  spec.services.forEach((s, i) => {
    for (const name of [gatewayToServicePolicyName(spec.gateway.name, s.name), serviceMtlsSecretName(spec.gateway.name, s.name)]) {
      if (name.length > 63)
        r.fail(
          `services[${i}].name`,
          `with gateway.name "${spec.gateway.name}" the object name "${name}" has ${name.length} characters; Kubernetes allows 63: shorten the service name or gateway.name`,
        );
    }
  });
}

function checkApps(r: SpecReader, spec: AccessSpec): void {
  const { realm } = spec;
  const taken = [spec.clients.gateway.clientId, ...spec.clients.browser.map((c) => c.clientId), ...spec.clients.service.map((c) => c.clientId)];
  r.unique(
    spec.apps,
    (a) => a.name,
    (i) => `apps[${i}].name`,
    "app",
  );
  r.unique(
    spec.apps,
    (a) => a.pathPrefix,
    (i) => `apps[${i}].url`,
    "app path prefix",
  );
  spec.apps.forEach((app, i) => {
    const at = (field: string) => `apps[${i}].${field}`;
    if (taken.includes(app.clientId)) r.fail(at("clientId"), `${show(app.clientId)} is already used by another client`);
    if (spec.gateway.hostnames.length > 0 && !spec.gateway.hostnames.includes(app.host))
      r.fail(at("url"), `host ${show(app.host)} is not one of gateway.hostnames`);
    // The gateway's session must never outlive Keycloak's: the refresh token would be dead before the cookie.
    if (app.sessionLifetime > realm.tokens.ssoSessionMaxLifespan)
      r.fail(
        at("sessionLifetime"),
        `${formatDuration(app.sessionLifetime)} is longer than realm.tokens.ssoSessionMaxLifespan (${formatDuration(realm.tokens.ssoSessionMaxLifespan)})`,
      );
    if (app.sessionIdleTimeout > realm.tokens.ssoSessionIdleTimeout)
      r.fail(
        at("sessionIdleTimeout"),
        `${formatDuration(app.sessionIdleTimeout)} is longer than realm.tokens.ssoSessionIdleTimeout (${formatDuration(realm.tokens.ssoSessionIdleTimeout)})`,
      );
    if (app.sessionIdleTimeout > app.sessionLifetime)
      r.fail(
        at("sessionIdleTimeout"),
        `${formatDuration(app.sessionIdleTimeout)} is longer than the app's sessionLifetime (${formatDuration(app.sessionLifetime)})`,
      );
    app.apiPathPrefixes.forEach((p, j) => {
      if (!p.startsWith(`${app.pathPrefix}/`)) r.fail(at(`apiPathPrefixes[${j}]`), `${show(p)} is not under the app's path ${show(app.pathPrefix)}`);
    });
    const routes = allRoutes(spec).filter((x) => appOfRoute({ apps: [app] }, x.route));
    if (routes.length === 0) r.fail(at("url"), `no route in services[] is under ${show(app.pathPrefix + "/")}: the app would protect nothing`);
    for (const reserved of [appCallbackPath(app), appLogoutPath(app)]) {
      const clash = allRoutes(spec).find((x) => x.route.path === reserved);
      if (clash) r.fail(`${routePath(clash)}.path`, `${show(reserved)} is served by the gateway for app ${show(app.name)} (sign-in callback / logout)`);
    }
  });
}

function checkMtls(r: SpecReader, spec: AccessSpec): void {
  const { mtls, environment } = spec;
  if (!ENVIRONMENT_DEFAULTS[environment].allowPlaintextUpstreams) {
    if (!mtls.enabled) r.fail("mtls.enabled", `false is not allowed in ${environment}: services trust identity headers only from an authenticated gateway`);
    spec.services.forEach((s, i) => {
      if (!s.mtls && mtls.enabled) r.fail(`services[${i}].mtls`, `false is not allowed in ${environment}: every upstream must be mTLS`);
    });
  }
  if (mtls.renewBeforeDays >= mtls.certificateValidityDays) {
    r.fail("mtls.renewBeforeDays", `${mtls.renewBeforeDays} must be less than mtls.certificateValidityDays (${mtls.certificateValidityDays})`);
  }
  if (mtls.certificateValidityDays > mtls.caValidityDays) {
    r.fail("mtls.certificateValidityDays", `${mtls.certificateValidityDays} outlives the CA (mtls.caValidityDays ${mtls.caValidityDays})`);
  }
  spec.gateway.clientCertificateHosts.forEach((h, i) => {
    if (!spec.gateway.hostnames.includes(h.host)) r.fail(`gateway.clientCertificateHosts[${i}].host`, `${show(h.host)} is not one of gateway.hostnames`);
  });
  r.unique(
    spec.gateway.clientCertificateHosts,
    (h) => h.host,
    (i) => `gateway.clientCertificateHosts[${i}].host`,
    "host",
  );
}

function checkRoleDeclared(r: SpecReader, spec: AccessSpec, path: string, role: string): void {
  const known = spec.realm.roles.map((d) => d.name);
  if (!known.includes(role)) r.fail(path, `role ${show(role)} is not declared in realm.roles${didYouMean(role, known)}`);
}

/**
 * API scopes: declared once, each obtainable by clients that exist (never the
 * gateway's own), named apart from Keycloak's built-in scopes; rules name
 * declared scopes only; an app that asks for one must be among its clients.
 */
function checkScopes(r: SpecReader, spec: AccessSpec): void {
  const { scopes } = spec.realm;
  const declared = scopes.map((s) => s.name);
  const callers = [...spec.clients.service, ...spec.clients.browser, ...spec.apps].map((c) => c.clientId);
  r.unique(
    scopes,
    (s) => s.name,
    (i) => `realm.scopes[${i}].name`,
    "scope",
  );
  scopes.forEach((scope, i) => {
    if ([...KEYCLOAK_BUILTIN_SCOPES, GATEWAY_SCOPE_NAME].includes(scope.name))
      r.fail(
        `realm.scopes[${i}].name`,
        `${show(scope.name)} is a scope Keycloak or the gateway defines already; name the API's scope apart (e.g. "orders:read")`,
      );
    scope.clients.forEach((id, j) => {
      if (!callers.includes(id))
        r.fail(`realm.scopes[${i}].clients[${j}]`, `${show(id)} is not a service client, browser client or app client id${didYouMean(id, callers)}`);
    });
    r.unique(
      scope.clients,
      (c) => c,
      (j) => `realm.scopes[${i}].clients[${j}]`,
      "client id",
    );
  });
  for (const x of allRoutes(spec)) {
    x.route.rules.forEach((rule, i) => {
      rule.scopes.forEach((scope, j) => {
        if (!declared.includes(scope))
          r.fail(`${routePath(x)}.rules[${i}].scopes[${j}]`, `scope ${show(scope)} is not declared in realm.scopes${didYouMean(scope, declared)}`);
      });
      r.unique(
        rule.scopes,
        (s) => s,
        (j) => `${routePath(x)}.rules[${i}].scopes[${j}]`,
        "scope",
      );
    });
  }
  spec.apps.forEach((app, i) =>
    app.scopes.forEach((name, j) => {
      const scope = scopes.find((s) => s.name === name);
      if (scope && !scope.clients.includes(app.clientId))
        r.fail(
          `apps[${i}].scopes[${j}]`,
          `the app asks for ${show(name)}, but realm.scopes does not list its client ${show(app.clientId)} among that scope's clients`,
        );
    }),
  );
}

function checkRealm(r: SpecReader, spec: AccessSpec): void {
  const { realm, environment } = spec;
  const env = ENVIRONMENT_DEFAULTS[environment];
  r.unique(
    realm.roles,
    (x) => x.name,
    (i) => `realm.roles[${i}].name`,
    "role",
  );
  r.unique(
    realm.groups,
    (x) => x.name,
    (i) => `realm.groups[${i}].name`,
    "group",
  );
  realm.groups.forEach((g, gi) => g.roles.forEach((role, ri) => checkRoleDeclared(r, spec, `realm.groups[${gi}].roles[${ri}]`, role)));

  const { accessTokenLifespan, ssoSessionIdleTimeout, ssoSessionMaxLifespan } = realm.tokens;
  const maxAccess = parseDuration(env.maxAccessTokenLifespan)!;
  if (accessTokenLifespan > maxAccess) {
    r.fail("realm.tokens.accessTokenLifespan", `${formatDuration(accessTokenLifespan)} exceeds the ${environment} maximum of ${env.maxAccessTokenLifespan}`);
  }
  // An app's own lifespan overrides the realm's for its tokens: the same bound holds.
  spec.apps.forEach((app, i) => {
    if (app.accessTokenLifespan !== undefined && app.accessTokenLifespan > maxAccess) {
      r.fail(
        `apps[${i}].accessTokenLifespan`,
        `${formatDuration(app.accessTokenLifespan)} exceeds the ${environment} maximum of ${env.maxAccessTokenLifespan}`,
      );
    }
  });
  if (accessTokenLifespan > ssoSessionIdleTimeout) {
    r.fail(
      "realm.tokens.accessTokenLifespan",
      `${formatDuration(accessTokenLifespan)} outlives realm.tokens.ssoSessionIdleTimeout (${formatDuration(ssoSessionIdleTimeout)})`,
    );
  }
  if (ssoSessionIdleTimeout > ssoSessionMaxLifespan) {
    r.fail(
      "realm.tokens.ssoSessionIdleTimeout",
      `${formatDuration(ssoSessionIdleTimeout)} exceeds realm.tokens.ssoSessionMaxLifespan (${formatDuration(ssoSessionMaxLifespan)})`,
    );
  }
  if (SSL_REQUIRED_STRENGTH[realm.sslRequired] < SSL_REQUIRED_STRENGTH[env.minimumSslRequired]) {
    r.fail("realm.sslRequired", `${show(realm.sslRequired)} is weaker than the ${environment} minimum ${show(env.minimumSslRequired)}`);
  }
}

function checkClients(r: SpecReader, spec: AccessSpec): void {
  const { gateway, browser, service } = spec.clients;
  const all = [
    { id: gateway.clientId, path: "clients.gateway.clientId" },
    ...browser.map((c, i) => ({ id: c.clientId, path: `clients.browser[${i}].clientId` })),
    ...service.map((c, i) => ({ id: c.clientId, path: `clients.service[${i}].clientId` })),
  ];
  r.unique(
    all,
    (c) => c.id,
    (i) => all[i].path,
    "client id",
  );
  service.forEach((c, ci) => {
    c.roles.forEach((role, ri) => checkRoleDeclared(r, spec, `clients.service[${ci}].roles[${ri}]`, role));
    r.unique(
      c.roles,
      (x) => x,
      (i) => `clients.service[${ci}].roles[${i}]`,
      "role",
    );
  });
  browser.forEach((c, ci) =>
    r.unique(
      c.redirectUris,
      (x) => x,
      (i) => `clients.browser[${ci}].redirectUris[${i}]`,
      "redirect URI",
    ),
  );
}

function routePath(x: LocatedRoute): string {
  return `services[${x.serviceIndex}].routes[${x.routeIndex}]`;
}

function checkRoutes(r: SpecReader, spec: AccessSpec): void {
  // Unique across namespaces: the name keys routes, upstream ids and the access matrix.
  r.unique(
    spec.services,
    (s) => s.name,
    (i) => `services[${i}].name`,
    "service",
  );
  const routes = allRoutes(spec);
  for (const x of routes) {
    x.route.rules.forEach((rule, i) => rule.roles.forEach((role, j) => checkRoleDeclared(r, spec, `${routePath(x)}.rules[${i}].roles[${j}]`, role)));
    // A method in two rules would make the allowed roles depend on rule order.
    const methods = routeMethods(x.route);
    // With CORS on, the gateway answers every OPTIONS request itself (preflight); no rule can grant it.
    if (corsEnabled(spec) && methods.includes("OPTIONS")) {
      r.fail(routePath(x), "OPTIONS is answered by the gateway's CORS preflight (browser clients declare web origins); remove it from the route");
    }
    methods.forEach((m, i) => {
      if (methods.indexOf(m) !== i) r.fail(`${routePath(x)}`, `method ${m} is listed more than once; give each method one rule`);
    });
  }
  for (const [i, j] of overlappingPathPairs(routes.map((x) => x.route.path))) {
    const [a, b] = [routes[i], routes[j]];
    if (a.route.path === b.route.path) {
      r.fail(`${routePath(b)}.path`, `duplicate path ${show(b.route.path)} (first at ${routePath(a)}.path)`);
    } else if (a.service !== b.service) {
      r.fail(
        `${routePath(b)}.path`,
        `${show(b.route.path)} overlaps ${show(a.route.path)} of service ${show(a.service.name)} (${routePath(a)}): a request path must name one service`,
      );
    } else if (!sameAccess(a.route, b.route, HTTP_METHODS)) {
      r.fail(
        `${routePath(b)}.path`,
        `${show(b.route.path)} overlaps ${show(a.route.path)} (${routePath(a)}) with different rules: give them disjoint paths or the same rules`,
      );
    }
  }
}

function checkGateway(r: SpecReader, spec: AccessSpec): void {
  const reserved = [...Object.values(IDENTITY_HEADERS), ...OIDC_PLUGIN_HEADERS].map((h) => h.toLowerCase());
  spec.gateway.claimHeaders.forEach((c, i) => {
    if (reserved.includes(c.header.toLowerCase())) r.fail(`gateway.claimHeaders[${i}].header`, `${show(c.header)} is managed by the gateway already`);
    else if (isInfrastructureHeader(c.header))
      r.fail(
        `gateway.claimHeaders[${i}].header`,
        `${show(c.header)} tells services which client, host, path or method a request had: a claim there would let whoever sets the claim choose them. Use a header of its own (X-User-Email)`,
      );
  });
  r.unique(
    spec.gateway.claimHeaders,
    (c) => c.header.toLowerCase(),
    (i) => `gateway.claimHeaders[${i}].header`,
    "header",
  );
  if (spec.environment === "prod" && perReplicaCounters(spec)) {
    r.fail(
      "gateway.rateLimits.store.type",
      `"local" keeps counters per replica: with gateway.replicas ${spec.gateway.replicas} every limit is multiplied by ${spec.gateway.replicas} in prod; use redis or redis-cluster`,
    );
  }
}

function checkSeedUsers(r: SpecReader, spec: AccessSpec): void {
  if (spec.seedUsers.length > 0 && !ENVIRONMENT_DEFAULTS[spec.environment].allowSeedUsers) {
    r.fail("seedUsers", `seed users are only allowed in dev, not in ${spec.environment}`);
  }
  r.unique(
    spec.seedUsers,
    (u) => u.username,
    (i) => `seedUsers[${i}].username`,
    "username",
  );
  spec.seedUsers.forEach((u, ui) =>
    u.groups.forEach((g, gi) => {
      if (!spec.realm.groups.some((d) => d.name === g)) r.fail(`seedUsers[${ui}].groups[${gi}]`, `group ${show(g)} is not declared in realm.groups`);
    }),
  );
}

/**
 * A rule nobody the spec creates can pass is refused: none of its roles is
 * granted by a group (users) or, outside apps, to a service client (a service
 * account never holds an app's browser session). Usually a role declared and
 * never granted, or a typo'd grant. A role given outside the spec (an admin,
 * an identity provider's mapper) says so: realm.roles[].grantedOutsideSpec.
 */
function checkRulesReachable(r: SpecReader, spec: AccessSpec): void {
  const byUsers = new Set([...spec.realm.groups.flatMap((g) => g.roles), ...spec.realm.roles.filter((x) => x.grantedOutsideSpec).map((x) => x.name)]);
  const byAnyone = new Set([...byUsers, ...spec.clients.service.flatMap((c) => c.roles)]);
  for (const { route, serviceIndex, routeIndex } of allRoutes(spec)) {
    const app = appOfRoute(spec, route);
    const granted = app ? byUsers : byAnyone;
    const grantors = app ? "no group grants" : "no group and no service client grants";
    route.rules.forEach((rule, ruleIndex) => {
      if (rule.roles.some((role) => granted.has(role))) return;
      const roleIndex = spec.realm.roles.findIndex((x) => rule.roles.includes(x.name));
      r.fail(
        `services[${serviceIndex}].routes[${routeIndex}].rules[${ruleIndex}].roles`,
        `${rule.methods.join(", ")} ${route.path} allows only roles ${grantors} (${rule.roles.join(", ")})${app ? ` on app ${app.name}'s session routes` : ""}: nobody the spec creates can make these calls. ` +
          `Grant one of them in realm.groups${app ? "" : " or clients.service"}, or, if it is assigned outside the spec, set realm.roles[${roleIndex}].grantedOutsideSpec: true`,
      );
    });
  }
}
