import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
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
  description: "No ConfigMap holds a private key, a client secret, a session secret or a Redis password; those belong in Secrets ($env:// references in APISIX config).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.configMap) return;
    const where = `${args.props.metadata?.namespace ?? "default"}/${args.props.metadata?.name ?? args.name}`;
    for (const [key, value] of Object.entries({ ...(args.props.data ?? {}), ...(args.props.binaryData ?? {}) })) {
      for (const s of SECRET_MATERIAL) {
        if (typeof value === "string" && s.pattern.test(value)) report(`ConfigMap ${where} key "${key}" holds ${s.what}. Move it to a Secret and reference it (for APISIX: $env://VAR from a secretKeyRef).`);
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
