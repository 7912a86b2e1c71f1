/**
 * Two gateways in one stack (a public and an internal one, each with its own
 * spec), built with the same wiring as the program: no Kubernetes object is
 * managed twice, no Pulumi name repeats (the recorder refuses a duplicate),
 * and each service namespace admits each gateway only to its own services.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createGatewayAuth } from "../../components/gateway-auth";
import { parseAccessSpec } from "../../components/access-spec";
import { policies } from "../../policies/rules";
import type { ResourceRecorder } from "../../scripts/lib/mock-stack";
import { rawSpec } from "../fixtures/raw-spec";
import { build, useRecorder } from "../support/mocks";
import { runPolicies, toStackResources } from "../support/policy-harness";

const instance = (gatewayName: string, namespace: string, realm: string) => {
  const raw = rawSpec() as any;
  raw.gateway = { ...raw.gateway, name: gatewayName, namespace };
  raw.realm.name = realm;
  return parseAccessSpec(raw);
};

let rec: ResourceRecorder;
beforeAll(async () => {
  rec = await useRecorder();
  await build(rec, () => {
    createGatewayAuth(instance("public", "gateway-public", "shop"), {}, "public-");
    createGatewayAuth(instance("internal", "gateway-internal", "shop-internal"), {}, "internal-");
  });
});

const objects = () =>
  rec.resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:"))
    .map((r) => `${r.type.split(":").pop()} ${r.inputs.metadata.namespace ?? ""}/${r.inputs.metadata.name}`);

describe("two gateway instances in one stack", () => {
  it("render without a single duplicate Kubernetes object name", () => {
    const all = objects();
    expect(all.length).toBeGreaterThanOrEqual(30);
    expect(all.filter((o, i) => all.indexOf(o) !== i)).toEqual([]);
  });

  it("both own their objects in the shared service namespace, under their own names", () => {
    const shop = objects()
      .filter((o) => o.includes(" shop/"))
      .sort();
    expect(shop).toEqual(
      expect.arrayContaining([
        "NetworkPolicy shop/allow-public-to-orders",
        "NetworkPolicy shop/allow-internal-to-orders",
        "Secret shop/public-orders-mtls",
        "Secret shop/internal-orders-mtls",
      ]),
    );
  });

  it("pass the policy pack, kubernetes-objects-unique included", async () => {
    expect(await runPolicies(policies, toStackResources(rec), { environment: "prod" })).toEqual([]);
  });

  it("the same gateway name twice is refused by the pack, naming both owners", async () => {
    const rec2 = rec; // same recorder: a third instance named like the first
    await build(rec2, () => createGatewayAuth(instance("public", "gateway-public", "shop-third"), {}, "third-"));
    const violations = await runPolicies(policies, toStackResources(rec2), { environment: "prod" });
    expect(
      violations.some(
        (v) =>
          v.policy === "kubernetes-objects-unique" &&
          /Deployment gateway-public\/public is managed by both public-gateway-deployment-gateway-public-public and third-gateway-deployment-gateway-public-public/.test(
            v.message,
          ),
      ),
    ).toBe(true);
  });
});
