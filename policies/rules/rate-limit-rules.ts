import type { StackValidationPolicy } from "@pulumi/policy";
import { gatewayConfigs, pluginConfs, type GatewayConfig } from "./apisix";
import { ENVIRONMENT_CONFIG, environmentOf } from "./config";
import type { StackResource } from "./types";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

/** Replicas of the Deployments that mount a gateway's ConfigMap (the pods that count). */
function replicasOf(g: GatewayConfig, resources: StackResource[]): number {
  const name = g.resource.props.metadata?.name;
  return resources
    .filter((r) => r.type === DEPLOYMENT && (r.props.metadata?.namespace ?? "default") === g.namespace)
    .filter((r) => (r.props.spec?.template?.spec?.volumes ?? []).some((v: any) => v.configMap?.name === name))
    .reduce((sum, r) => sum + (r.props.spec?.replicas ?? 1), 0);
}

/**
 * Rate limits that hold: a limit is per caller for the whole gateway, not per
 * pod. limit-count counters without a `group` are named after a hash of the
 * plugin's configuration that differs between worker processes (so no two
 * processes share one), and `local` counters live in each pod: with several
 * replicas a caller gets the limit once per replica. In prod both are
 * refused; elsewhere, the missing group still is (it splits even one pod's
 * counters across its workers).
 */
export const rateLimitsShared: StackValidationPolicy = {
  name: "rate-limits-shared",
  description: "Every limit-count names its counter (group); in prod, a gateway with more than one replica keeps counters in Redis, not per pod.",
  enforcementLevel: "mandatory",
  configSchema: ENVIRONMENT_CONFIG,
  validateStack: (args, report) => {
    const prod = environmentOf(args.getConfig()).environment === "prod";
    const resources = args.resources as StackResource[];
    for (const g of gatewayConfigs(resources)) {
      const limits = pluginConfs(g.doc, "limit-count");
      if (limits.length === 0) continue;
      for (const { where, conf } of limits) {
        if (!conf.group)
          report(
            `${where}: limit-count without a group keeps a counter per worker process. Name the counter (group), as renderRateLimitConf does.`,
            g.resource.urn,
          );
      }
      const replicas = replicasOf(g, resources);
      const local = limits.filter(({ conf }) => (conf.policy ?? "local") === "local");
      if (prod && replicas > 1 && local.length > 0) {
        report(
          `${local.map((l) => l.where).join(", ")}: local rate-limit counters on ${replicas} replicas allow ${replicas} times each limit in prod. Set gateway.rateLimits.store to redis or redis-cluster.`,
          g.resource.urn,
        );
      }
    }
  },
};
