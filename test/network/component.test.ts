/**
 * GatewayNetworkPolicies on its own: a stack that wants only the policies says
 * which gateway, which services and which peers, and nothing about realms,
 * clients or routes. GatewayAuth's mapping of the spec gives the same policies
 * as the spec renderer; bad args fail with their paths before anything exists.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { GatewayNetworkPolicies, networkPoliciesArgsOf, renderNetworkPolicies, type GatewayNetworkPoliciesArgs } from "../../components/network";
import type { Manifest } from "../../components/kubernetes";
import type { ResourceRecorder } from "../../scripts/lib/mock-stack";
import { spec } from "../fixtures/raw-spec";
import { argsProblemsOf } from "../support/spec-problems";
import { validateManifest } from "../support/kubernetes-schemas";
import { build, useRecorder, valueOf } from "../support/mocks";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** The intent alone: nothing a stack without Keycloak clients or routes would not know. */
const intent = (): GatewayNetworkPoliciesArgs => ({
  gateway: { name: "edge", namespace: "edge" },
  services: [
    { name: "orders", namespace: "shop", port: 8080 },
    { name: "billing", namespace: "finance", port: 9000, podSelector: { "app.kubernetes.io/name": "billing" } },
  ],
  keycloak: { namespace: "keycloak", port: 8080 },
});

let rec: ResourceRecorder;
let fromIntent: GatewayNetworkPolicies;
beforeAll(async () => {
  rec = await useRecorder();
  await build(rec, () => {
    fromIntent = new GatewayNetworkPolicies("netpol", intent());
    new GatewayNetworkPolicies("from-spec", networkPoliciesArgsOf(spec()));
  });
});

const policiesOf = (prefix: string) => rec.ofType(NETPOL).filter((p) => p.name.startsWith(`${prefix}-`));

describe("GatewayNetworkPolicies from intent-level args", () => {
  it("admits the named gateway's pods to each service, on its port only, and denies every other ingress there", async () => {
    const names = await valueOf(fromIntent.policyNames);
    expect(names).toEqual(expect.arrayContaining(["shop/edge-default-deny-ingress", "finance/edge-default-deny-ingress", "shop/allow-edge-to-orders"]));
    const orders = policiesOf("netpol").find((p) => p.inputs.metadata.name === "allow-edge-to-orders")!.inputs.spec;
    expect(orders.podSelector).toEqual({ matchLabels: { app: "orders" } });
    expect(orders.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "edge" } },
            podSelector: { matchLabels: expect.objectContaining({ "app.kubernetes.io/instance": "edge" }) },
          },
        ],
        ports: [{ port: 8080, protocol: "TCP" }],
      },
    ]);
    const billing = policiesOf("netpol").find((p) => p.inputs.metadata.name === "allow-edge-to-billing")!.inputs.spec;
    expect(billing.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "billing" } });
  });

  it("lets the gateway reach its services, Keycloak and cluster DNS (the default), nothing else", () => {
    const egress = policiesOf("netpol").find((p) => p.inputs.metadata.name === "edge-egress")!.inputs.spec.egress;
    const targets = egress.map(
      (e: any) => `${e.to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"]}:${e.ports.map((p: any) => p.port).join(",")}`,
    );
    expect(targets).toEqual(["shop:8080", "finance:9000", "keycloak:8080", "kube-system:53,53"]);
  });

  it("writes valid Kubernetes NetworkPolicies", () => {
    for (const p of policiesOf("netpol")) expect(() => validateManifest(p.inputs as Manifest), p.name).not.toThrow();
  });

  it("are, for GatewayAuth's mapping of a spec, exactly the spec renderer's policies", () => {
    const key = (m: any) => `${m.metadata.namespace}/${m.metadata.name}`;
    const byName = (ms: any[]) => Object.fromEntries(ms.map((m) => [key(m), m]));
    const rendered = byName(renderNetworkPolicies(spec()));
    const registered = byName(policiesOf("from-spec").map((p) => p.inputs));
    expect(Object.keys(registered).sort()).toEqual(Object.keys(rendered).sort());
    for (const name of Object.keys(rendered)) expect(registered[name], name).toMatchObject(rendered[name]);
  });
});

describe("GatewayNetworkPolicies refuses bad args", () => {
  const problems = (mutate: (a: any) => void) =>
    argsProblemsOf((name, args: any) => new GatewayNetworkPolicies(name, args), "GatewayNetworkPolicies", intent, mutate);

  it.each([
    [(a: any) => (a.services[0].port = 0), "services[0].port: expected an integer from 1 to 65535, got 0"],
    [(a: any) => (a.services = []), "services: expected at least 1 item"],
    [(a: any) => (a.services[1] = { ...a.services[0] }), 'services[1].name: duplicate service "shop/orders"'],
    [(a: any) => (a.gateway.name = "Edge_1"), 'gateway.name: "Edge_1" is not a lowercase DNS label'],
    [(a: any) => (a.keycloak.namespce = "kc"), 'keycloak.namespce: unknown field (did you mean "namespace"?)'],
    [(a: any) => (a.monitoring = { namespace: "monitoring", ports: [] }), "monitoring.ports: expected at least 1 item"],
    [(a: any) => (a.rateLimitStore = { namespace: "cache", ports: [70000] }), "rateLimitStore.ports[0]: expected an integer from 1 to 65535"],
    [(a: any) => (a.services[0].podSelector = { "bad key!": "x" }), 'services[0].podSelector.bad key!: "bad key!" is not a valid key'],
    [(a: any) => (a.allowSameNamespce = true), 'allowSameNamespce: unknown field (did you mean "allowSameNamespace"?)'],
  ])("%#: %s", (mutate, expected) => {
    expect(problems(mutate).join("\n")).toContain(expected);
  });

  it("reports every problem at once, and registers nothing", () => {
    const before = rec.resources.length;
    expect(
      problems((a) => {
        a.services[0].port = "http";
        a.keycloak.port = -1;
      }),
    ).toHaveLength(2);
    expect(rec.resources.length).toBe(before);
  });
});
