/**
 * The README's snippet of the parts on their own, run as written under mocks:
 * NetworkPolicies and the PKI for one service, with no realm, client or route.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { build, useRecorder } from "../support/mocks";

describe("the parts on their own (README snippet)", () => {
  it("builds the policies and the PKI from intent alone", async () => {
    const rec = await useRecorder();
    // The fixture's top level constructs the components, as a stack's program would.
    await import(join(__dirname, "..", "fixtures", "components-alone.ts"));
    await build(rec, () => undefined);
    const names = (type: string) => rec.ofType(type).map((r) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`);
    expect(names("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toContain("shop/allow-edge-to-orders");
    expect(names("kubernetes:core/v1:Secret")).toEqual(["shop/edge-orders-mtls"]);
    expect(rec.ofType("keycloak:index/realm:Realm")).toEqual([]);
  });
});
