import type { StackValidationPolicy } from "@pulumi/policy";
import { gatewayConfigs, pluginConfs } from "./apisix";
import { callingClients, clientsMissing, dependency, ofType } from "./stack-rules";
import { TYPES, type StackResource } from "./types";

const IDENTITY_PLUGIN = "gateway-identity";

/** Each name the identity plugin's confs give (by `names`), with the first route that gives it. */
function namedByRules(doc: Parameters<typeof pluginConfs>[0], names: (conf: any) => string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const { where, conf } of pluginConfs(doc, IDENTITY_PLUGIN)) for (const name of names(conf)) if (!found.has(name)) found.set(name, where);
  return found;
}

/** The client scopes a client may obtain: its default and optional sets, by name. */
function obtainable(resources: StackResource[], client: StackResource): string[] {
  const sets = [
    ...ofType(resources, TYPES.clientDefaultScopes).map((d) => ({ d, names: d.props.defaultScopes })),
    ...ofType(resources, TYPES.clientOptionalScopes).map((d) => ({ d, names: d.props.optionalScopes })),
  ];
  return sets.filter(({ d }) => dependency(resources, d, "clientId") === client).flatMap(({ names }) => (names ?? []) as string[]);
}

/** Every scope a gateway rule requires is one some client can obtain, in the token's `scope` claim. */
export const gatewayScopesGrantable: StackValidationPolicy = {
  name: "gateway-scopes-grantable",
  description:
    "Every scope an APISIX rule requires (gateway-identity's required_scopes) is a Keycloak client scope that names itself in the token's scope claim, and some calling client has it as a default or optional scope.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as StackResource[];
    const scopes = ofType(resources, TYPES.clientScope);
    const callers = callingClients(resources);
    for (const g of gatewayConfigs(resources)) {
      for (const [name, where] of namedByRules(g.doc, (conf) => conf.required_scopes ?? [])) {
        const scope = scopes.find((s) => s.props.name === name);
        if (!scope)
          report(
            `${IDENTITY_PLUGIN} on ${where} requires scope "${name}", which no keycloak ClientScope declares: no token can carry it. Declare it in realm.scopes.`,
            g.resource.urn,
          );
        else if (scope.props.includeInTokenScope === false)
          report(
            `client scope "${name}" (required on ${where}) sets includeInTokenScope false: tokens never name it in their scope claim, so every request is refused. Set it true.`,
            scope.urn,
          );
        else if (!callers.some((c) => obtainable(resources, c).includes(name)))
          report(
            `${IDENTITY_PLUGIN} on ${where} requires scope "${name}", but no calling client has it as a default or optional scope: nobody can make that call. List a client in its realm.scopes entry.`,
            g.resource.urn,
          );
      }
    }
  },
};

/** A tenant-bound route compares with a tenant claim every calling client's tokens carry. */
export const tenantClaimEmitted: StackValidationPolicy = {
  name: "gateway-tenant-claim-emitted",
  description:
    "Where a route binds a {tenant} path segment (gateway-identity's tenant_segment), a mapper puts its tenant claim into the access tokens of every calling client: a user-attribute mapper they all get, or the client's own hard-coded claim.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as StackResource[];
    for (const g of gatewayConfigs(resources)) {
      for (const [claim, where] of namedByRules(g.doc, (conf) => (conf.tenant_segment !== undefined ? [conf.tenant_claim ?? "tenant_id"] : []))) {
        const mappers = ofType(resources, TYPES.attributeMapper).filter((m) => m.props.claimName === claim && m.props.addToAccessToken !== false);
        if (mappers.length === 0) {
          report(
            `${IDENTITY_PLUGIN} on ${where} binds a {tenant} segment to claim "${claim}", but no UserAttributeProtocolMapper puts "${claim}" into access tokens: every request would be refused (403). Keep the tenant mapper in the gateway client scope.`,
            g.resource.urn,
          );
          continue;
        }
        const hardcoded = (c: StackResource) =>
          ofType(resources, TYPES.hardcodedClaimMapper).some(
            (m) => m.props.claimName === claim && m.props.addToAccessToken !== false && dependency(resources, m, "clientId") === c,
          );
        for (const c of callingClients(resources).filter((c) => mappers.every((m) => clientsMissing(resources, m).includes(c)) && !hardcoded(c))) {
          report(
            `client "${c.props.clientId}" does not get a mapper for tenant claim "${claim}" (bound on ${where}): its tokens would be refused on tenant-bound routes. Add the tenant scope to its default scopes, or give the machine client its tenant.`,
            c.urn,
          );
        }
      }
    }
  },
};
