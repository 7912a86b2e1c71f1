import * as pulumi from "@pulumi/pulumi";
import { PACKAGE } from "../access-spec";
import { createManifests } from "../kubernetes";
import { checkNetworkPoliciesArgs, type GatewayNetworkPoliciesArgs } from "./args";
import { renderNetworkPoliciesForPlan } from "./policies";

export type { GatewayNetworkPoliciesArgs } from "./args";

/**
 * NetworkPolicies so that services accept traffic from the gateway only, and
 * the gateway reaches only its services, Keycloak, DNS (and the rate-limit
 * store's Redis). It needs only the intent: which gateway, which services,
 * which peers (`GatewayAuth` derives them from the access spec). Args are
 * checked at construction, every problem with its path, before any policy is
 * registered. Service namespaces are expected to exist (they belong to the
 * service teams); the gateway's is created by `ApisixGateway`: pass it in
 * `opts.dependsOn` (every policy waits for what the component waits for).
 * Pass the Kubernetes provider through `opts.providers`.
 */
export class GatewayNetworkPolicies extends pulumi.ComponentResource {
  /** `namespace/name` of every policy created. */
  readonly policyNames: pulumi.Output<string[]>;

  constructor(name: string, args: GatewayNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    const plan = checkNetworkPoliciesArgs(args, `GatewayNetworkPolicies ${name}: args`);
    super(`${PACKAGE}:index:GatewayNetworkPolicies`, name, {}, opts);
    const manifests = renderNetworkPoliciesForPlan(plan);
    createManifests(this, name, manifests, { dependsOn: opts?.dependsOn });
    this.policyNames = pulumi.output(manifests.map((m) => `${m.metadata.namespace}/${m.metadata.name}`));
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
