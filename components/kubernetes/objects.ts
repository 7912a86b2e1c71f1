import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** A Kubernetes object as plain data: what renderers produce, components create and tests validate. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Typed resource for each kind this project creates: every object stays visible to previews, tests and policies. */
function createObject(name: string, m: Manifest, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  // The manifest's kind picks the constructor below, each with its own typed args: one cast, at the switch.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const args = m as any;
  switch (m.kind) {
    case "Namespace":
      return new k8s.core.v1.Namespace(name, args, opts);
    case "ServiceAccount":
      return new k8s.core.v1.ServiceAccount(name, args, opts);
    case "ConfigMap":
      return new k8s.core.v1.ConfigMap(name, args, opts);
    case "Secret":
      return new k8s.core.v1.Secret(name, args, opts);
    case "Deployment":
      return new k8s.apps.v1.Deployment(name, args, opts);
    case "Service":
      return new k8s.core.v1.Service(name, args, opts);
    case "PodDisruptionBudget":
      return new k8s.policy.v1.PodDisruptionBudget(name, args, opts);
    case "NetworkPolicy":
      return new k8s.networking.v1.NetworkPolicy(name, args, opts);
    default:
      throw new Error(`no typed resource for kind ${m.kind}`);
  }
}

/** A resource name unique per kind, namespace and object name. */
export function objectResourceName(prefix: string, m: Manifest): string {
  return [prefix, m.kind.toLowerCase(), m.metadata.namespace, m.metadata.name].filter(Boolean).join("-");
}

/** Creates manifests as typed children of `owner`; namespaces first, everything else depending on them. */
export function createManifests(
  owner: pulumi.Resource,
  prefix: string,
  manifests: Manifest[],
  opts: pulumi.CustomResourceOptions = {},
): pulumi.CustomResource[] {
  const base = { ...opts, parent: owner };
  const namespaces = manifests.filter((m) => m.kind === "Namespace").map((m) => createObject(objectResourceName(prefix, m), m, base));
  const dependsOn = [...namespaces, ...((opts.dependsOn as pulumi.Resource[] | undefined) ?? [])];
  return [...namespaces, ...manifests.filter((m) => m.kind !== "Namespace").map((m) => createObject(objectResourceName(prefix, m), m, { ...base, dependsOn }))];
}
