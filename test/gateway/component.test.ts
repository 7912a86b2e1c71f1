import { beforeAll, describe, expect, it } from "vitest";
import { ApisixGateway } from "../../components/gateway";
import type { ResourceRecorder } from "../../scripts/lib/mock-stack";
import { spec } from "../fixtures/raw-spec";
import { build, useRecorder, valueOf } from "../support/mocks";

let rec: ResourceRecorder;
let gateway: ApisixGateway;

beforeAll(async () => {
  rec = await useRecorder();
  await build(rec, () => {
    gateway = new ApisixGateway("gw", { spec: spec() });
  });
});

describe("ApisixGateway under mocks", () => {
  it("creates every object as a typed Kubernetes resource parented to the component", () => {
    const types = rec.resources.filter((r) => r.custom).map((r) => r.type).sort();
    expect(types).toEqual([
      "kubernetes:apps/v1:Deployment",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:Namespace",
      "kubernetes:core/v1:Service",
      "kubernetes:core/v1:ServiceAccount",
      "kubernetes:policy/v1:PodDisruptionBudget",
    ]);
    expect(rec.resources.filter((r) => r.custom).every((r) => r.parent === "gw")).toBe(true);
    expect(rec.ofType("gateway-auth:index:ApisixGateway")).toHaveLength(1);
  });

  it("no Helm release: nothing opaque", () => {
    expect(rec.resources.some((r) => r.type.includes("helm"))).toBe(false);
  });

  it("publishes namespace, in-cluster URL and config checksum", async () => {
    expect(await valueOf(gateway.namespace)).toBe("gateway");
    expect(await valueOf(gateway.url)).toBe("http://apisix.gateway.svc.cluster.local");
    expect(await valueOf(gateway.configChecksum)).toMatch(/^[0-9a-f]{64}$/);
  });
});
