import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { GATEWAY_POD_LABELS } from "../contract/names";
import { FAST_PATH_SHARE_OF_MEMORY_LIMIT, fastPathBudgetBytes, fastPathWorstCaseBytes, formatMiB, smallestMemoryLimitMiB } from "../contract/fast-path-memory";
import { cpuCores, memoryBytes, workersFor } from "../contract/quantities";
import { gatewayConfigs, pluginConfs, type GatewayConfig } from "./apisix";
import { TYPES, WORKLOAD_TYPES, type StackResource } from "./types";

const SECRET_MATERIAL = [
  { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, what: "a private key" },
  { pattern: /\bclient_secret\b\s*[:=]\s*["']?[^\s"'$][^\s"']*/, what: "a client secret" },
  { pattern: /\bsession\b[\s\S]{0,40}\bsecret\b\s*[:=]\s*["']?[^\s"'$][^\s"']*/, what: "a session secret" },
  { pattern: /\b(redis|sentinel)_password\b\s*[:=]\s*["']?[^\s"'$][^\s"']*/, what: "a Redis password" },
];

/** ConfigMaps are readable by far more than Secrets are. */
export const noSecretsInConfigMaps: ResourceValidationPolicy = {
  name: "no-secrets-in-configmaps",
  description:
    "No ConfigMap holds a private key, a client secret, a session secret or a Redis password; those belong in Secrets ($env:// references in APISIX config).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.configMap) return;
    const where = `${args.props.metadata?.namespace ?? "default"}/${args.props.metadata?.name ?? args.name}`;
    for (const [key, value] of Object.entries({ ...(args.props.data ?? {}), ...(args.props.binaryData ?? {}) })) {
      for (const s of SECRET_MATERIAL) {
        if (typeof value === "string" && s.pattern.test(value))
          report(`ConfigMap ${where} key "${key}" holds ${s.what}. Move it to a Secret and reference it (for APISIX: $env://VAR from a secretKeyRef).`);
      }
    }
  },
};

/** Explicit policyTypes: an egress rule without "Egress" listed is silently ignored by some readers. */
export const networkPolicyTypes: ResourceValidationPolicy = {
  name: "networkpolicy-declares-policy-types",
  description: "Every NetworkPolicy lists its policyTypes explicitly.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.networkPolicy) return;
    const types = args.props.spec?.policyTypes;
    if (!Array.isArray(types) || types.length === 0) {
      report(`NetworkPolicy ${args.props.metadata?.namespace}/${args.props.metadata?.name} does not declare spec.policyTypes. List "Ingress" and/or "Egress".`);
    }
  },
};

function podSpecOf(type: string, props: Record<string, any>): Record<string, any> | undefined {
  if (type === "kubernetes:core/v1:Pod") return props.spec;
  if (type === "kubernetes:batch/v1:CronJob") return props.spec?.jobTemplate?.spec?.template?.spec;
  return props.spec?.template?.spec;
}

/** Containers never run as root. */
export const containersNonRoot: ResourceValidationPolicy = {
  name: "containers-run-as-non-root",
  description: "Every container (init containers included) runs as a non-root user: runAsNonRoot true and no runAsUser 0.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!WORKLOAD_TYPES.includes(args.type)) return;
    const pod = podSpecOf(args.type, args.props);
    if (!pod) return;
    const podLevel = pod.securityContext ?? {};
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const sc = { ...podLevel, ...(c.securityContext ?? {}) };
      const where = `${args.props.metadata?.name ?? args.name}/${c.name}`;
      if (sc.runAsNonRoot !== true) report(`container ${where} may run as root. Set securityContext.runAsNonRoot: true (pod or container level).`);
      if (sc.runAsUser === 0) report(`container ${where} sets runAsUser: 0. Use a non-zero uid.`);
    }
  },
};

/** One Kubernetes object, one owner: two resources of a stack writing the same object fight, and deleting one deletes the other's. */
export const kubernetesObjectsUnique: StackValidationPolicy = {
  name: "kubernetes-objects-unique",
  description: "No two resources of the stack manage the same Kubernetes object (kind, namespace, name).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const owners = new Map<string, string>();
    for (const r of args.resources as unknown as StackResource[]) {
      const name = r.props?.metadata?.name;
      if (!r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:pulumi") || typeof name !== "string") continue;
      const kind = r.type.split(":").pop();
      const key = `${kind} ${r.props.metadata.namespace ? `${r.props.metadata.namespace}/` : ""}${name}`;
      const first = owners.get(key);
      if (first) report(`${key} is managed by both ${first} and ${r.name}. Give each gateway instance its own gateway.name (and namespace).`, r.urn);
      else owners.set(key, r.name);
    }
  },
};

/** Seconds a gateway pod must keep serving after its endpoint removal starts (propagation), and then have for requests in flight. */
const MIN_PRESTOP_SECONDS = 5;
const MIN_DRAIN_SECONDS = 30;

/** Whether a Deployment's pods are a gateway's (by the labels the gateway component gives them). */
function runsGateway(deployment: { spec?: any }): boolean {
  const labels = deployment.spec?.template?.metadata?.labels ?? {};
  return Object.entries(GATEWAY_POD_LABELS).every(([k, v]) => labels[k] === v);
}

/** The preStop delay of a container, when it is a plain `sleep N` (exec or the sleep action). */
function preStopSeconds(container: any): number | undefined {
  const hook = container?.lifecycle?.preStop;
  if (typeof hook?.sleep?.seconds === "number") return hook.sleep.seconds;
  const command = hook?.exec?.command;
  return Array.isArray(command) && command[0] === "sleep" && /^\d+$/.test(String(command[1])) ? Number(command[1]) : undefined;
}

/** A gateway pod replaced in a rollout finishes what it accepted, and gets no new traffic while it stops. */
export const gatewayDrainsBeforeStopping: ResourceValidationPolicy = {
  name: "gateway-drains-before-stopping",
  description: `A gateway Deployment's container keeps serving at least ${MIN_PRESTOP_SECONDS} s after its pod is told to stop (a preStop sleep, while endpoint removal propagates), and the pod's termination grace period leaves at least ${MIN_DRAIN_SECONDS} s more for requests in flight.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== "kubernetes:apps/v1:Deployment") return;
    if (!runsGateway(args.props)) return;
    const pod = args.props.spec.template;
    const where = `${args.props.metadata?.namespace ?? "default"}/${args.props.metadata?.name ?? args.name}`;
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    for (const c of pod.spec?.containers ?? []) {
      const delay = preStopSeconds(c);
      if (delay === undefined || delay < MIN_PRESTOP_SECONDS)
        report(
          `gateway Deployment ${where} container ${c.name} has no preStop sleep of at least ${MIN_PRESTOP_SECONDS} s: it stops while load balancers still send it requests, which then fail. Add lifecycle.preStop (sleep).`,
        );
      else if (grace < delay + MIN_DRAIN_SECONDS)
        report(
          `gateway Deployment ${where} gives its pods terminationGracePeriodSeconds ${grace}, less than the preStop sleep (${delay} s) plus ${MIN_DRAIN_SECONDS} s for requests in flight: Kubernetes kills them mid-request.`,
        );
    }
  },
};

/** Each gateway Deployment (`namespace/name`) with the rendered configs in its namespace, the ones its pods load. */
function gatewayDeploymentsWithConfigs(resources: StackResource[]): Array<{ deployment: StackResource; where: string; configs: GatewayConfig[] }> {
  const configs = gatewayConfigs(resources);
  return resources
    .filter((r) => r.type === "kubernetes:apps/v1:Deployment" && runsGateway(r.props))
    .map((deployment) => {
      const namespace = deployment.props.metadata?.namespace ?? "default";
      return {
        deployment,
        where: `${namespace}/${deployment.props.metadata?.name ?? deployment.name}`,
        configs: configs.filter((c) => c.namespace === namespace),
      };
    });
}

/** nginx's own timeout for each phase, which an upstream without `timeout` gets. */
const NGINX_DEFAULT_PHASE_SECONDS = 60;

/** The longest request an APISIX upstream lets run: each phase's timeout, times the tries (1 + retries). */
function longestRequestSeconds(upstream: Record<string, any>): number {
  const t = upstream.timeout ?? {};
  const phase = (v: unknown) => (typeof v === "number" && v > 0 ? v : NGINX_DEFAULT_PHASE_SECONDS);
  const tries = 1 + (typeof upstream.retries === "number" && upstream.retries > 0 ? upstream.retries : 0);
  return (phase(t.connect) + phase(t.send) + phase(t.read)) * tries;
}

/**
 * The grace period is for the requests a stopping pod already accepted: the
 * longest one the gateway lets run must fit after the preStop sleep, or a
 * rollout cuts it. Read from the upstreams the gateway's own rules declare.
 */
export const gatewayGraceCoversLongestRequest: StackValidationPolicy = {
  name: "gateway-grace-covers-longest-request",
  description:
    "A gateway pod's termination grace period covers its preStop sleep plus the longest request its upstreams let run (connect + send + read timeouts, per try).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const { deployment: d, where, configs } of gatewayDeploymentsWithConfigs(args.resources as unknown as StackResource[])) {
      const pod = d.props.spec.template;
      const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
      const delay = Math.max(0, ...(pod.spec?.containers ?? []).map((c: any) => preStopSeconds(c) ?? 0));
      for (const { doc } of configs) {
        const longest = (doc.upstreams ?? []).map((u) => ({ id: String(u.id), seconds: longestRequestSeconds(u) })).sort((a, b) => b.seconds - a.seconds)[0];
        if (longest && grace < delay + longest.seconds) {
          report(
            `gateway Deployment ${where} gives its pods terminationGracePeriodSeconds ${grace}, less than its preStop sleep (${delay} s) plus the longest request upstream ${longest.id} lets run (${longest.seconds} s): a rollout cuts such requests. Raise the grace period or lower services[].timeouts.`,
            d.urn,
          );
        }
      }
    }
  },
};

/**
 * nginx's `worker_processes: auto` counts the node's CPUs, not the pod's CPU
 * limit: on a large node a gateway limited to one core starts one worker per
 * node CPU, each with its own fast-path cache and Lua heap, all throttled to
 * that one core, and the pod's memory limit no longer bounds what they need.
 */
export const gatewayWorkersWithinCpuLimit: StackValidationPolicy = {
  name: "gateway-workers-within-cpu-limit",
  description:
    "A gateway whose container has a CPU limit runs a fixed number of nginx workers (config.yaml nginx_config.worker_processes), at most one per core the limit allows (rounded up): `auto` would start one per node CPU.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const { deployment: d, where, configs } of gatewayDeploymentsWithConfigs(args.resources as unknown as StackResource[])) {
      const limits = (d.props.spec.template.spec?.containers ?? []).map((c: any) => c.resources?.limits?.cpu).filter((l: unknown) => l !== undefined);
      if (limits.length === 0) continue;
      const limit = String(limits[0]);
      const allowed = Number.isNaN(cpuCores(limit)) ? undefined : workersFor(limit);
      for (const { config } of configs) {
        const workers = config.nginx_config?.worker_processes;
        if (typeof workers !== "number" || (allowed !== undefined && workers > allowed)) {
          report(
            `gateway Deployment ${where} has a CPU limit of ${limit} but its config.yaml runs worker_processes ${JSON.stringify(workers ?? "auto")}: ${typeof workers === "number" ? `more workers than the ${allowed} core(s) it may use (rounded up)` : "nginx's auto starts one worker per node CPU"}, each with its own caches. Set nginx_config.worker_processes to ${allowed ?? "the cores the limit allows"}.`,
            d.urn,
          );
        }
      }
    }
  },
};

/** The shared level's MiB in config.yaml (`custom_lua_shared_dict.gateway_verified_tokens: 32m`); 0 when absent. */
function sharedLevelMiB(config: Record<string, any>): number {
  const size = config.nginx_config?.http?.custom_lua_shared_dict?.gateway_verified_tokens;
  const m = /^([0-9]+)([kKmMgG]?)$/.exec(String(size ?? ""));
  if (!m) return 0;
  const unit = m[2].toLowerCase();
  return Number(m[1]) * (unit === "g" ? 1024 : unit === "k" ? 1 / 1024 : unit === "m" ? 1 : 1 / 2 ** 20);
}

/**
 * The fast path's worst case (every worker's level full of the largest
 * entries it keeps, plus the shared level) within half the container's memory
 * limit: past it, a gateway with many active users is OOM-killed. The same
 * figures the access spec checks (contract/fast-path-memory.ts), read here
 * from what the stack renders.
 */
export const gatewayFastPathWithinMemoryLimit: StackValidationPolicy = {
  name: "gateway-fast-path-within-memory-limit",
  description: `A gateway's verified-token fast path, full of worst-case entries in every worker plus its shared level, fits ${FAST_PATH_SHARE_OF_MEMORY_LIMIT * 100} % of the container's memory limit.`,
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const { deployment: d, where, configs } of gatewayDeploymentsWithConfigs(args.resources as unknown as StackResource[])) {
      const limit = (d.props.spec.template.spec?.containers ?? []).map((c: any) => c.resources?.limits?.memory).find((l: unknown) => l !== undefined);
      const bytes = limit === undefined ? NaN : memoryBytes(String(limit));
      if (Number.isNaN(bytes)) continue;
      for (const { doc, config } of configs) {
        const workers = config.nginx_config?.worker_processes;
        if (typeof workers !== "number") continue; // gateway-workers-within-cpu-limit reports it
        const size = Math.max(0, ...pluginConfs(doc, "gateway-key-guard").map(({ conf }) => Number(conf.verified_tokens?.size) || 0));
        const sizing = { workers, verifiedTokenCacheSize: size, verifiedTokenCacheMegabytes: sharedLevelMiB(config) };
        const worst = fastPathWorstCaseBytes(sizing);
        if (worst > fastPathBudgetBytes(bytes)) {
          report(
            `gateway Deployment ${where} has a memory limit of ${limit}, but its fast path can take ${formatMiB(worst)} (${size} verified tokens in each of ${workers} workers, worst case, plus a ${sizing.verifiedTokenCacheMegabytes} MiB shared level): more than ${FAST_PATH_SHARE_OF_MEMORY_LIMIT * 100} % of it. Raise the limit to at least ${smallestMemoryLimitMiB(sizing)}Mi or lower gateway.verifiedTokenCacheSize.`,
            d.urn,
          );
        }
      }
    }
  },
};
