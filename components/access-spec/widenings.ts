import type { AccessSpec } from "./types";

/** A setting that switches a protection off or extends trust to every peer: its path and what it costs. */
export interface TrustWidening {
  path: string;
  why: string;
}

/**
 * Every such setting in a spec. Prod refuses each one (crossCheck), other
 * environments say it (deploymentWarnings): one list, so the two agree.
 */
export function trustWidenings(spec: AccessSpec): TrustWidening[] {
  const found: TrustWidening[] = [];
  spec.gateway.trustedProxies.forEach((cidr, i) => {
    const bits = Number(cidr.split("/")[1] ?? 32);
    if (bits < 8)
      found.push({
        path: `gateway.trustedProxies[${i}]`,
        why: `"${cidr}" trusts X-Forwarded-For from (nearly) every peer: any caller picks the address its rate-limit budget and the logs name. List your load balancers' addresses`,
      });
  });
  if (spec.gateway.rateLimits.store.whenUnavailable === "allow")
    found.push({
      path: "gateway.rateLimits.store.whenUnavailable",
      why: `"allow" switches every rate limit off while the store is unreachable (fails open). Use "deny" (the default: limited routes answer 500 until it is back)`,
    });
  if (spec.network.allowSameNamespace)
    found.push({
      path: "network.allowSameNamespace",
      why: "true lets every pod beside a service reach it without the gateway, unauthenticated. Keep services reachable from the gateway only",
    });
  spec.services.forEach((s, i) => {
    if (s.forwardBearerToken)
      found.push({
        path: `services[${i}].forwardBearerToken`,
        why: `true hands service ${s.name} the caller's bearer token, a credential it, or anyone reading its logs, can replay at the gateway. Use the identity headers`,
      });
    if (s.allowMethodOverride)
      found.push({
        path: `services[${i}].allowMethodOverride`,
        why: `true lets a request to service ${s.name} carry another method (_method, X-HTTP-Method-Override) than the one the gateway authorized`,
      });
  });
  return found;
}
