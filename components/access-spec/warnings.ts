import { perReplicaCounters } from "./rate-limits";
import { trustWidenings } from "./widenings";
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
  // What prod refuses, said everywhere else (components/access-spec/widenings.ts).
  for (const w of trustWidenings(spec)) warnings.push(`${w.path}: ${w.why} (refused in prod)`);
  return warnings;
}
