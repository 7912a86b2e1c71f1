import { describe, expect, it } from "vitest";
import { renderNetworkPolicies } from "../../components/network";
import { gatewayPodLabels, type AccessSpec } from "../../components/access-spec";
import { NetworkModel, type Pod } from "../support/netpol";
import { validateManifest } from "../support/kubernetes-schemas";
import { spec } from "../fixtures/raw-spec";

/** Two services in one namespace, one in another, so same-namespace and cross-namespace paths both exist. */
const twoNamespaces = (mutate: (r: any) => void = () => {}) =>
  spec((r) => {
    r.services.push({
      name: "billing",
      namespace: "money",
      port: 8443,
      routes: [{ path: "/api/billing/*", rules: [{ methods: ["GET"], roles: ["viewer"] }] }],
    });
    r.services.push({
      name: "reviews",
      namespace: "shop",
      port: 9000,
      podSelector: { "app.kubernetes.io/name": "reviews" },
      routes: [{ path: "/api/reviews/*", rules: [{ methods: ["GET"], roles: ["viewer"] }] }],
    });
    mutate(r);
  });

const pods = {
  gateway: { name: "apisix-1", namespace: "gateway", labels: { ...gatewayPodLabels("apisix"), "pod-template-hash": "abc" } },
  // Another gateway instance of the same stack, in the same namespace: a gateway, but not this one.
  otherGateway: { name: "internal-1", namespace: "gateway", labels: { ...gatewayPodLabels("internal"), "pod-template-hash": "def" } },
  impostor: { name: "impostor", namespace: "gateway", labels: { "app.kubernetes.io/name": "apisix" } },
  orders: { name: "orders-1", namespace: "shop", labels: { app: "orders" } },
  reviews: { name: "reviews-1", namespace: "shop", labels: { "app.kubernetes.io/name": "reviews" } },
  billing: { name: "billing-1", namespace: "money", labels: { app: "billing" } },
  intruder: { name: "debug", namespace: "default", labels: { app: "debug" } },
  keycloak: { name: "keycloak-0", namespace: "keycloak", labels: { app: "keycloak" } },
  dns: { name: "coredns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
  prometheus: { name: "prometheus-0", namespace: "monitoring", labels: { app: "prometheus" } },
  elsewhere: { name: "api", namespace: "partner", labels: { app: "api" } },
} satisfies Record<string, Pod>;

const model = (s: AccessSpec) => new NetworkModel(renderNetworkPolicies(s));

describe("NetworkPolicies: only the gateway reaches services", () => {
  const net = model(twoNamespaces());

  it("gateway -> each service on its port: allowed", () => {
    expect(net.canReach(pods.gateway, pods.orders, 8443)).toBe(true);
    expect(net.canReach(pods.gateway, pods.billing, 8443)).toBe(true);
    expect(net.canReach(pods.gateway, pods.reviews, 9000)).toBe(true);
  });

  it("gateway -> a service on another port: denied", () => {
    expect(net.canReach(pods.gateway, pods.orders, 22)).toBe(false);
  });

  it("any other pod -> a service: denied (another namespace, or the gateway namespace without the gateway's labels)", () => {
    expect(net.canReach(pods.intruder, pods.orders, 8443)).toBe(false);
    expect(net.canReach(pods.impostor, pods.orders, 8443)).toBe(false);
    expect(net.canReach(pods.keycloak, pods.billing, 8443)).toBe(false);
  });

  it("another gateway instance of the stack -> these services: denied (each service admits the gateway that routes to it)", () => {
    expect(net.canReach(pods.gateway, pods.orders, 8443)).toBe(true);
    expect(net.canReach(pods.otherGateway, pods.orders, 8443)).toBe(false);
    expect(net.canReach(pods.otherGateway, pods.billing, 8443)).toBe(false);
  });

  it("service -> service: denied, in the same namespace and across namespaces", () => {
    expect(net.canReach(pods.reviews, pods.orders, 8443)).toBe(false);
    expect(net.canReach(pods.billing, pods.orders, 8443)).toBe(false);
  });

  it("gateway -> cluster DNS (UDP and TCP 53) and Keycloak: allowed", () => {
    expect(net.canReach(pods.gateway, pods.dns, 53, "UDP")).toBe(true);
    expect(net.canReach(pods.gateway, pods.dns, 53, "TCP")).toBe(true);
    expect(net.canReach(pods.gateway, pods.keycloak, 8080)).toBe(true);
  });

  it("gateway -> anything else: denied (egress is limited)", () => {
    expect(net.canReach(pods.gateway, pods.elsewhere, 443)).toBe(false);
    expect(net.canReach(pods.gateway, pods.keycloak, 9000)).toBe(false);
  });

  it("clients reach the gateway on its listen ports only", () => {
    expect(net.canReach(pods.intruder, pods.gateway, 9080)).toBe(true);
    expect(net.canReach(pods.intruder, pods.gateway, 9443)).toBe(true);
    expect(net.canReach(pods.intruder, pods.gateway, 9091)).toBe(false);
  });

  it("no pod reaches the gateway's status port (kubelet probes come from the node, which CNIs admit regardless of NetworkPolicy)", () => {
    expect(net.canReach(pods.intruder, pods.gateway, 7085)).toBe(false);
    expect(net.canReach(pods.orders, pods.gateway, 7085)).toBe(false);
  });

  it("monitoring is off by default", () => {
    expect(net.canReach(pods.prometheus, pods.orders, 9090)).toBe(false);
  });
});

describe("options, all off by default", () => {
  it("allowSameNamespace lets services in one namespace talk, and nothing more", () => {
    const net = model(twoNamespaces((r) => ((r.environment = "staging"), (r.network = { allowSameNamespace: true }))));
    expect(net.canReach(pods.reviews, pods.orders, 8443)).toBe(true);
    expect(net.canReach(pods.billing, pods.orders, 8443)).toBe(false);
    expect(net.canReach(pods.intruder, pods.orders, 8443)).toBe(false);
  });

  it("monitoring lets the named scraper reach service pods and the gateway's metrics port", () => {
    const net = model(twoNamespaces((r) => (r.network = { monitoring: { namespace: "monitoring", podSelector: { app: "prometheus" }, ports: [9090] } })));
    expect(net.canReach(pods.prometheus, pods.orders, 9090)).toBe(true);
    expect(net.canReach(pods.prometheus, pods.gateway, 9091)).toBe(true);
    expect(net.canReach(pods.prometheus, pods.orders, 8443)).toBe(false);
    expect(net.canReach(pods.intruder, pods.orders, 9090)).toBe(false);
  });
});

describe("the evaluator itself", () => {
  it("with no policies everything is reachable (so denials above come from the policies)", () => {
    expect(new NetworkModel([]).canReach(pods.intruder, pods.orders, 8443)).toBe(true);
  });
});

describe("manifests", () => {
  const manifests = renderNetworkPolicies(twoNamespaces());

  it("declare their policy types and validate against the Kubernetes schema", () => {
    for (const m of manifests) {
      expect((m.spec as any).policyTypes?.length, m.metadata.name).toBeGreaterThan(0);
      expect(() => validateManifest(m), m.metadata.name).not.toThrow();
    }
  });

  it("give every service namespace a default-deny ingress policy", () => {
    const denies = manifests
      .filter((m) => m.metadata.name === "apisix-default-deny-ingress")
      .map((m) => m.metadata.namespace)
      .sort();
    expect(denies).toEqual(["money", "shop"]);
  });
});
