import type { Policies, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { StackResource } from "../../policies/rules";
import { unwrapSecrets, type ResourceRecorder } from "../../scripts/lib/mock-stack";

/**
 * The resources a mock run recorded, shaped as `pulumi preview` hands them to
 * a policy pack: inputs as props (secrets unwrapped, as the engine does for
 * policies), URNs, and property dependencies pointing at the resources.
 */
export function toStackResources(rec: ResourceRecorder): StackResource[] {
  return rec.resources
    .filter((r) => r.custom)
    .map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn ?? `urn:mock::${r.type}::${r.name}`,
      props: unwrapSecrets(r.inputs),
      propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, urns]) => [k, urns.map((urn) => ({ urn }))])),
      dependsOn: r.dependencyUrns,
    }));
}

export interface Violation {
  policy: string;
  message: string;
  urn?: string;
}

const notApplicable = (reason?: string): never => {
  throw new Error(`not applicable: ${reason}`);
};

/** Runs every policy of the pack over a stack, the way the engine would, and collects the violations. */
export async function runPolicies(policies: Policies, resources: StackResource[], config: Record<string, unknown> = {}): Promise<Violation[]> {
  const violations: Violation[] = [];
  const common = { getConfig: <T extends object>() => config as T, stackTags: new Map<string, string>(), notApplicable };
  for (const policy of policies) {
    const report = (message: string, urn?: string) => violations.push({ policy: policy.name, message, urn });
    const resourcePolicy = policy as ResourceValidationPolicy;
    if (resourcePolicy.validateResource) {
      const validations = Array.isArray(resourcePolicy.validateResource) ? resourcePolicy.validateResource : [resourcePolicy.validateResource];
      for (const r of resources) {
        const args = { ...common, type: r.type, props: r.props, urn: r.urn, name: r.name, opts: {} as any, isType: () => false, asType: () => undefined };
        for (const v of validations) await v(args as any, (m) => report(m, r.urn));
      }
    }
    const stackPolicy = policy as StackValidationPolicy;
    if (stackPolicy.validateStack) {
      const policyResources = resources.map((r) => ({ ...r, opts: {} as any, isType: () => false, asType: () => undefined })) as unknown as Array<
        PolicyResource & StackResource
      >;
      // As the engine does: each resource's dependencies are the resources themselves.
      const byUrn = new Map(policyResources.map((r) => [r.urn, r]));
      for (const r of policyResources) (r as { dependencies: PolicyResource[] }).dependencies = (r.dependsOn ?? []).flatMap((urn) => byUrn.get(urn) ?? []);
      await stackPolicy.validateStack({ ...common, resources: policyResources }, report);
    }
  }
  return violations;
}
