import * as pulumi from "@pulumi/pulumi";
import { identityEndpoints, type IdentityEndpoints } from "../identity";
import { PACKAGE, type AccessSpec } from "../spec";
import { createManifests } from "../kubernetes";
import { GATEWAY_NAME, configChecksum, renderGatewayManifests } from "./manifests";
import { renderGatewayFiles } from "./standalone";

export interface ApisixGatewayArgs {
  /** The validated access spec. */
  spec: AccessSpec;
  /** Issuer, discovery and audience; derived from the spec when omitted. */
  endpoints?: IdentityEndpoints;
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
    createManifests(this, name, renderGatewayManifests(spec, { files }));

    this.namespace = pulumi.output(spec.gateway.namespace);
    this.serviceName = pulumi.output(GATEWAY_NAME);
    this.url = pulumi.output(`http://${GATEWAY_NAME}.${spec.gateway.namespace}.svc.cluster.local`);
    this.configChecksum = pulumi.output(configChecksum(files));
    this.registerOutputs({ namespace: this.namespace, serviceName: this.serviceName, url: this.url, configChecksum: this.configChecksum });
  }
}
