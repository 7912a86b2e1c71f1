import type { StackValidationPolicy } from "@pulumi/policy";
import { apisixConfigOf, gatewayConfigs, pluginConfs } from "./apisix";
import { ENVIRONMENT_CONFIG, environmentOf } from "./config";
import { TYPES, type StackResource } from "./types";

/** CIDR blocks wider than this trust (nearly) every peer. */
const WIDEST_TRUSTED_PREFIX = 8;

/**
 * What the spec's parser refuses in prod (components/access-spec/widenings.ts),
 * read from what the stack would deploy, for stacks built some other way:
 * a protection switched off, or trust extended to every peer.
 */
function widenings(resources: StackResource[]): Array<{ urn: string; message: string }> {
  const found: Array<{ urn: string; message: string }> = [];
  for (const g of gatewayConfigs(resources)) {
    const config = apisixConfigOf(g.resource.props);
    for (const cidr of (config.apisix?.trusted_addresses ?? []) as string[]) {
      if (Number(String(cidr).split("/")[1] ?? 32) < WIDEST_TRUSTED_PREFIX)
        found.push({
          urn: g.resource.urn,
          message: `apisix.trusted_addresses has "${cidr}": X-Forwarded-For is trusted from (nearly) every peer, so any caller picks its own address`,
        });
    }
    for (const { where, conf } of pluginConfs(g.doc, "limit-count"))
      if (conf.allow_degradation === true)
        found.push({ urn: g.resource.urn, message: `${where}: limit-count with allow_degradation switches the limit off while its store is unreachable` });
    for (const { where, conf } of pluginConfs(g.doc, "gateway-identity"))
      if (conf.forward_authorization === true)
        found.push({ urn: g.resource.urn, message: `${where}: gateway-identity forwards the caller's bearer token, a credential the service can replay` });
    for (const route of g.doc.routes ?? [])
      if (route.labels?.override === "allowed")
        found.push({
          urn: g.resource.urn,
          message: `route ${route.id}: method overrides allowed (the service may run another method than the one authorized)`,
        });
  }
  for (const p of resources.filter((r) => r.type === TYPES.networkPolicy)) {
    const sameNamespace = (p.props.spec?.ingress ?? []).some((rule: any) =>
      (rule.from ?? []).some((peer: any) => peer.podSelector && !peer.namespaceSelector && Object.keys(peer.podSelector).length === 0),
    );
    if (sameNamespace && Object.keys(p.props.spec?.podSelector ?? {}).length === 0)
      found.push({
        urn: p.urn,
        message: `NetworkPolicy ${p.props.metadata?.namespace}/${p.props.metadata?.name} admits every pod of its namespace to every pod: services are reachable without the gateway`,
      });
  }
  return found;
}

export const prodTrustNotWidened: StackValidationPolicy = {
  name: "prod-trust-not-widened",
  description:
    "In prod, no setting switches a protection off or trusts every peer: trusted proxies wider than /8, rate limits that fail open, forwarded bearer tokens, allowed method overrides, same-namespace ingress.",
  enforcementLevel: "mandatory",
  configSchema: ENVIRONMENT_CONFIG,
  validateStack: (args, report) => {
    if (environmentOf(args.getConfig()).environment !== "prod") return;
    for (const w of widenings(args.resources as StackResource[])) report(`${w.message}. Refused in prod.`, w.urn);
  },
};
