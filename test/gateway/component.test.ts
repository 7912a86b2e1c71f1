import { beforeAll, describe, expect, it } from "vitest";
import { ApisixGateway } from "../../components/gateway";
import type { ResourceRecorder } from "../../scripts/lib/mock-stack";
import { spec } from "../fixtures/raw-spec";
import { build, unwrapSecrets, useRecorder, valueOf } from "../support/mocks";

const upstreamTls = { certPem: "gateway-cert", keyPem: "gateway-key", caCertPem: "ca-cert" };

let rec: ResourceRecorder;
let gateway: ApisixGateway;

beforeAll(async () => {
  rec = await useRecorder();
  await build(rec, () => {
    gateway = new ApisixGateway("gw", { spec: spec(), upstreamTls });
  });
});

describe("ApisixGateway under mocks", () => {
  it("creates every object as a typed Kubernetes resource parented to the component", () => {
    const types = rec.resources
      .filter((r) => r.custom)
      .map((r) => r.type)
      .sort();
    expect(types).toEqual([
      "kubernetes:apps/v1:Deployment",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:Namespace",
      "kubernetes:core/v1:Secret",
      "kubernetes:core/v1:Service",
      "kubernetes:core/v1:ServiceAccount",
      "kubernetes:policy/v1:PodDisruptionBudget",
    ]);
    expect(rec.resources.filter((r) => r.custom).every((r) => r.parent === "gw")).toBe(true);
    expect(rec.ofType("gateway-auth:index:ApisixGateway")).toHaveLength(1);
  });

  it("stores its client certificate in its own namespace, after the namespace, the key as a secret", () => {
    const secret = rec.ofType("kubernetes:core/v1:Secret")[0];
    expect(secret.inputs.metadata).toMatchObject({ namespace: "gateway", name: "apisix-upstream-mtls" });
    expect(unwrapSecrets(secret.inputs.stringData)).toEqual({ "tls.crt": "gateway-cert", "tls.key": "gateway-key", "ca.crt": "ca-cert" });
    expect(secret.dependsOn).toContain("gw-namespace-gateway");
    for (const r of rec.resources.filter((x) => x.custom && x.type !== "kubernetes:core/v1:Namespace"))
      expect(r.dependsOn, r.name).toContain("gw-namespace-gateway");
  });

  it("refuses to build without the client certificate when services use mTLS, before creating anything", () => {
    const before = rec.resources.length;
    expect(() => new ApisixGateway("gw2", { spec: spec() })).toThrow(/ApisixGateway gw2: args\.upstreamTls is required because services use mTLS \(orders\)/);
    expect(rec.resources.length).toBe(before);
  });

  it("no Helm release: nothing opaque", () => {
    expect(rec.resources.some((r) => r.type.includes("helm"))).toBe(false);
  });

  it("publishes namespace, in-cluster and public URLs, and config checksum", async () => {
    expect(await valueOf(gateway.namespace)).toBe("gateway");
    expect(await valueOf(gateway.url)).toBe("http://apisix.gateway.svc.cluster.local");
    expect(await valueOf(gateway.publicUrls)).toEqual(["https://api.example.com"]);
    expect(await valueOf(gateway.configChecksum)).toMatch(/^[0-9a-f]{64}$/);
  });
});
