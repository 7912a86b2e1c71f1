import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { identityEndpoints, type IdentityEndpoints } from "../identity";
import { PACKAGE, type AccessSpec } from "../spec";
import { GATEWAY_NAME, configChecksum, renderGatewayManifests, type GatewayManifestOptions, type Manifest } from "./manifests";
import { renderGatewayFiles } from "./standalone";

export interface ApisixGatewayArgs {
  /** The validated access spec. */
  spec: AccessSpec;
  /** Issuer, discovery and audience; derived from the spec when omitted. */
  endpoints?: IdentityEndpoints;
  /** Extra environment and volumes for the APISIX container (secrets for mTLS, ...). */
  env?: GatewayManifestOptions["env"];
  volumes?: GatewayManifestOptions["volumes"];
}

/** Typed resource for each manifest kind: every object stays visible to previews, tests and policies. */
function createObject(name: string, m: Manifest, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const args = m as any;
  switch (m.kind) {
    case "Namespace": return new k8s.core.v1.Namespace(name, args, opts);
    case "ServiceAccount": return new k8s.core.v1.ServiceAccount(name, args, opts);
    case "ConfigMap": return new k8s.core.v1.ConfigMap(name, args, opts);
    case "Secret": return new k8s.core.v1.Secret(name, args, opts);
    case "Deployment": return new k8s.apps.v1.Deployment(name, args, opts);
    case "Service": return new k8s.core.v1.Service(name, args, opts);
    case "PodDisruptionBudget": return new k8s.policy.v1.PodDisruptionBudget(name, args, opts);
    case "NetworkPolicy": return new k8s.networking.v1.NetworkPolicy(name, args, opts);
    default: throw new Error(`no typed resource for kind ${m.kind}`);
  }
}

/** Creates manifests as typed resources, namespaces first, everything else depending on them. */
export function createManifests(owner: pulumi.Resource, prefix: string, manifests: Manifest[]): pulumi.CustomResource[] {
  const namespaces = manifests.filter((m) => m.kind === "Namespace").map((m) => createObject(`${prefix}-ns-${m.metadata.name}`, m, { parent: owner }));
  return [
    ...namespaces,
    ...manifests
      .filter((m) => m.kind !== "Namespace")
      .map((m) => createObject(`${prefix}-${m.kind.toLowerCase()}-${m.metadata.namespace}-${m.metadata.name}`, m, { parent: owner, dependsOn: namespaces })),
  ];
}

/**
 * APISIX 3.18 in standalone mode on Kubernetes: namespace, ConfigMaps for the
 * rendered config, rules and plugin, Deployment, Service, PodDisruptionBudget.
 * Pass the Kubernetes provider through `opts.providers`.
 */
export class ApisixGateway extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  /** In-cluster URL of the gateway. */
  readonly url: pulumi.Output<string>;
  /** sha256 of the rendered files; changes roll the pods. */
  readonly configChecksum: pulumi.Output<string>;

  constructor(name: string, args: ApisixGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PACKAGE}:index:ApisixGateway`, name, {}, opts);
    const { spec } = args;
    const files = renderGatewayFiles(spec, args.endpoints ?? identityEndpoints(spec));
    createManifests(this, name, renderGatewayManifests(spec, { files, env: args.env, volumes: args.volumes }));

    this.namespace = pulumi.output(spec.gateway.namespace);
    this.serviceName = pulumi.output(GATEWAY_NAME);
    this.url = pulumi.output(`http://${GATEWAY_NAME}.${spec.gateway.namespace}.svc.cluster.local`);
    this.configChecksum = pulumi.output(configChecksum(files));
    this.registerOutputs({ namespace: this.namespace, serviceName: this.serviceName, url: this.url, configChecksum: this.configChecksum });
  }
}
