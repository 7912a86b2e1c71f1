import { describe, expect, it } from "vitest";
import { renderCertificatePlan, renderPkiSummary } from "../../components/mtls";
import { spec } from "../fixtures/raw-spec";

const s = spec((r) => (r.mtls = { certificateValidityDays: 60, renewBeforeDays: 20 }));
const plan = renderCertificatePlan(s);
const byRole = (role: string) => plan.filter((c) => c.role === role);

describe("certificate plan", () => {
  it("one CA, one gateway client certificate, one server certificate per mTLS service", () => {
    expect(byRole("ca")).toHaveLength(1);
    expect(byRole("gateway-client")).toHaveLength(1);
    expect(byRole("service-server").map((c) => c.service)).toEqual(["orders"]);
  });

  it("the CA may sign certificates; leaves may not", () => {
    expect(byRole("ca")[0].allowedUses).toContain("cert_signing");
    for (const c of plan.filter((x) => x.role !== "ca")) expect(c.allowedUses).not.toContain("cert_signing");
  });

  it("the gateway's certificate is for client auth only, services' for server auth only", () => {
    expect(byRole("gateway-client")[0].allowedUses).toContain("client_auth");
    expect(byRole("gateway-client")[0].allowedUses).not.toContain("server_auth");
    expect(byRole("service-server")[0].allowedUses).toContain("server_auth");
    expect(byRole("service-server")[0].allowedUses).not.toContain("client_auth");
  });

  it("a service certificate's SANs are its in-cluster DNS names", () => {
    expect(byRole("service-server")[0].dnsNames).toEqual(["orders", "orders.shop", "orders.shop.svc", "orders.shop.svc.cluster.local"]);
  });

  it("validity and early renewal come from the spec", () => {
    expect(byRole("service-server")[0]).toMatchObject({ validityHours: 60 * 24, earlyRenewalHours: 20 * 24 });
  });

  it("Secrets land in the service's namespace and the gateway's", () => {
    expect(byRole("service-server")[0].secret).toEqual({ namespace: "shop", name: "apisix-orders-mtls" });
    expect(byRole("gateway-client")[0].secret).toEqual({ namespace: "gateway", name: "apisix-upstream-mtls" });
  });

  it("issues nothing when no service uses mTLS (dev opt-out)", () => {
    const plain = spec((r) => {
      r.environment = "dev";
      r.mtls = { enabled: false };
    });
    expect(renderCertificatePlan(plain)).toEqual([]);
  });

  it("the summary lists subjects and SANs and says nothing of keys", () => {
    const md = renderPkiSummary(s);
    expect(md).toContain("orders.shop.svc.cluster.local");
    expect(md).toContain("shop/apisix-orders-mtls");
    expect(md).not.toMatch(/BEGIN|PRIVATE/);
  });
});

describe("mTLS in the spec", () => {
  it("prod refuses a plaintext upstream, naming the service", () => {
    expect(() => spec((r) => (r.services[0].mtls = false))).toThrow(/services\[0\]\.mtls: false is not allowed in prod/);
  });

  it("prod refuses turning mTLS off", () => {
    expect(() => spec((r) => (r.mtls = { enabled: false }))).toThrow(/mtls\.enabled: false is not allowed in prod/);
  });

  it("renewal must leave time before expiry", () => {
    expect(() => spec((r) => (r.mtls = { certificateValidityDays: 30, renewBeforeDays: 30 }))).toThrow(/mtls\.renewBeforeDays: 30 must be less than/);
  });
});
