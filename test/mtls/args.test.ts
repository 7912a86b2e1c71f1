/**
 * ServiceMtls and MtlsCertificates on their own: the PKI needs only whose CA,
 * which gateway, which services and the lifetimes, not a whole access spec.
 * GatewayAuth's mapping of a spec gives the same plan; bad args fail with
 * their paths before anything exists.
 */
import { describe, expect, it } from "vitest";
import { checkMtlsArgs, mtlsArgsOf, renderCertificatePlan, renderCertificatePlanFor, ServiceMtls, type ServiceMtlsArgs } from "../../components/mtls";
import { spec } from "../fixtures/raw-spec";
import { argsProblemsOf } from "../support/spec-problems";
import { build, useRecorder, valueOf } from "../support/mocks";

const intent = (): ServiceMtlsArgs => ({
  caName: "payments staging",
  gateway: { name: "edge", namespace: "edge" },
  services: [{ name: "ledger", namespace: "payments" }],
});

describe("the PKI from intent-level args", () => {
  it("plans a CA, the gateway's client certificate and each service's server certificate, with the documented lifetimes", () => {
    const plan = renderCertificatePlanFor(checkMtlsArgs(intent(), "test"));
    expect(plan.map((c) => `${c.role} ${c.commonName} ${c.validityHours / 24}d`)).toEqual([
      "ca payments staging gateway mTLS CA 3650d",
      "gateway-client apisix.edge 90d",
      "service-server ledger.payments.svc.cluster.local 90d",
    ]);
    expect(plan.find((c) => c.role === "service-server")!.secret).toEqual({ namespace: "payments", name: "edge-ledger-mtls" });
  });

  it("is, for GatewayAuth's mapping of a spec, the spec's plan", () => {
    expect(renderCertificatePlanFor(checkMtlsArgs(mtlsArgsOf(spec()), "test"))).toEqual(renderCertificatePlan(spec()));
  });

  it("builds ServiceMtls with them alone: Secrets in the services' namespaces, the gateway's certificate as an output", async () => {
    const rec = await useRecorder();
    let mtls!: ServiceMtls;
    await build(rec, () => {
      mtls = new ServiceMtls("pki-only", intent());
    });
    expect(await valueOf(mtls.serviceSecrets)).toEqual({ ledger: { namespace: "payments", name: "edge-ledger-mtls" } });
    expect(rec.ofType("kubernetes:core/v1:Secret").map((s) => `${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`)).toEqual([
      "payments/edge-ledger-mtls",
    ]);
    expect(await valueOf(mtls.gatewayTls)).toMatchObject({ certPem: expect.any(String) });
  });
});

describe("bad PKI args", () => {
  const problems = (mutate: (a: any) => void) => argsProblemsOf((name, args: any) => new ServiceMtls(name, args), "ServiceMtls", intent, mutate);

  it.each([
    [(a: any) => (a.renewBeforeDays = 90), "renewBeforeDays: 90 must be less than certificateValidityDays (90)"],
    [(a: any) => (a.certificateValidityDays = 4000), "certificateValidityDays: expected an integer from 1 to 3650, got 4000"],
    [(a: any) => Object.assign(a, { caValidityDays: 30, certificateValidityDays: 60 }), "certificateValidityDays: 60 outlives the CA (caValidityDays 30)"],
    [(a: any) => (a.services[1] = { ...a.services[0] }), 'services[1].name: duplicate service "payments/ledger"'],
    [(a: any) => (a.services[0].namespace = "Payments"), 'services[0].namespace: "Payments" is not a Kubernetes name'],
    [(a: any) => (a.caName = "x".repeat(41)), "caName: "],
    [(a: any) => (a.spec = {}), "spec: unknown field"],
  ])("%#: %s", (mutate, expected) => {
    expect(problems(mutate).join("\n")).toContain(expected);
  });
});
