import { beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policies/rules";
import { runPolicies } from "../support/policy-harness";
import { loadRecordedStack } from "../support/recorded-stacks";
import type { StackResource } from "../../policies/rules";

let dev: StackResource[];
let prod: StackResource[];
beforeAll(async () => {
  [dev, prod] = await Promise.all([loadRecordedStack("dev"), loadRecordedStack("prod")]);
});

describe("the example stacks, as the real program registers them", () => {
  it("the dev stack passes every rule with dev config", async () => {
    expect(await runPolicies(policies, dev, { environment: "dev" })).toEqual([]);
  });

  it("the prod stack passes every rule with prod config", async () => {
    expect(await runPolicies(policies, prod, { environment: "prod" })).toEqual([]);
  });

  it("the prod stack passes with no config at all (the pack defaults to prod)", async () => {
    expect(await runPolicies(policies, prod)).toEqual([]);
  });

  it("the dev stack is refused under prod rules (dev conveniences are dev only)", async () => {
    const violations = await runPolicies(policies, dev, { environment: "prod" });
    expect(violations.map((v) => v.policy)).toEqual(["keycloak-realm-ssl-and-brute-force"]);
    expect(violations[0].message).toContain('sslRequired "external" in prod');
  });

  it("the stacks hold what the rules look at", () => {
    for (const stack of [dev, prod]) {
      const types = new Set(stack.map((r) => r.type));
      for (const t of [
        "keycloak:index/realm:Realm",
        "keycloak:openid/client:Client",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:apps/v1:Deployment",
      ])
        expect(types).toContain(t);
    }
  });
});
