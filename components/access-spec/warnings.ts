import { allRoutes } from "./access";
import { perReplicaCounters } from "./rate-limits";
import type { AccessSpec } from "./types";

/**
 * What the spec cannot tell but a real deployment depends on: said by
 * `npm run render` and at `pulumi preview`/`up`, never an error.
 */
export function deploymentWarnings(spec: AccessSpec): string[] {
  const warnings: string[] = [];
  if (spec.keycloak.hostnameBackchannelDynamic === undefined) {
    warnings.push(
      "keycloak.hostnameBackchannelDynamic is not set: the gateway works only if Keycloak runs with hostname-backchannel-dynamic=true " +
        "(otherwise discovery names public JWKS/token URLs the gateway's egress cannot reach, and every request gets 401). " +
        "Set it to true once Keycloak is configured so (README: Deploying for real).",
    );
  }
  if (perReplicaCounters(spec)) {
    warnings.push(
      `gateway.rateLimits.store is local with ${spec.gateway.replicas} replicas: each replica counts on its own, so a caller gets up to ${spec.gateway.replicas} times every limit. ` +
        "Use a redis or redis-cluster store for one shared budget (refused in prod).",
    );
  }
  warnings.push(...unreachableRules(spec));
  return warnings;
}

/**
 * Rules nobody the spec creates can pass: none of their roles is granted by a
 * group (users) or to a service client. Legal (an admin or an identity
 * provider's mapper may assign the role outside the spec), but usually a
 * role declared and never granted, or a typo'd grant.
 */
function unreachableRules(spec: AccessSpec): string[] {
  const granted = new Set([...spec.realm.groups.flatMap((g) => g.roles), ...spec.clients.service.flatMap((c) => c.roles)]);
  return allRoutes(spec).flatMap(({ route, serviceIndex, routeIndex }) =>
    route.rules.flatMap((rule, ruleIndex) =>
      rule.roles.some((r) => granted.has(r))
        ? []
        : [
            `services[${serviceIndex}].routes[${routeIndex}].rules[${ruleIndex}] (${rule.methods.join(", ")} ${route.path}) allows only roles no group and no service client grants (${rule.roles.join(", ")}): nobody the spec creates can make these calls. Grant one of them in realm.groups or clients.service, unless it is assigned outside the spec.`,
          ],
    ),
  );
}
