import * as pulumi from "@pulumi/pulumi";
import { createManifests } from "../kubernetes";
import { PACKAGE, type AccessSpec } from "../access-spec";
import { renderNetworkPolicies } from "./policies";

export interface GatewayNetworkPoliciesArgs {
  /** The validated access spec. */
  spec: AccessSpec;
}

/**
 * NetworkPolicies so that services accept traffic from the gateway only, and
 * the gateway reaches only its services, Keycloak and DNS. Service namespaces
 * are expected to exist (they belong to the service teams); the gateway's is
 * created by `ApisixGateway`: pass it in `opts.dependsOn` (every policy waits
 * for what the component waits for). Pass the Kubernetes provider through
 * `opts.providers`.
 */
export class GatewayNetworkPolicies extends pulumi.ComponentResource {
  /** `namespace/name` of every policy created. */
  readonly policyNames: pulumi.Output<string[]>;

  constructor(name: string, args: GatewayNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PACKAGE}:index:GatewayNetworkPolicies`, name, {}, opts);
    const manifests = renderNetworkPolicies(args.spec);
    createManifests(this, name, manifests, { dependsOn: opts?.dependsOn });
    this.policyNames = pulumi.output(manifests.map((m) => `${m.metadata.namespace}/${m.metadata.name}`));
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
