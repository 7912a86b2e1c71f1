import type { Manifest } from "../kubernetes";
import { GATEWAY_PORTS, MANAGED_BY_LABEL, gatewayPodLabels, gatewayToServicePolicyName, type AccessSpec } from "../access-spec";
import { networkPoliciesArgsOf, type NetworkPolicyPlan } from "./args";

/** Kubernetes sets this label on every namespace (1.21+): policies select namespaces by name without managing them. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

type Peer = Record<string, unknown>;
type Port = { port: number; protocol: "TCP" | "UDP" };

const inNamespace = (namespace: string, podLabels: Record<string, string>): Peer => ({
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
  podSelector: { matchLabels: { ...podLabels } },
});
const tcp = (port: number): Port => ({ port, protocol: "TCP" });

function policy(namespace: string, name: string, spec: Record<string, unknown>): Manifest {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace, labels: { ...MANAGED_BY_LABEL } }, spec };
}

const uniqueNamespaces = (services: NetworkPolicyPlan["services"]) => [...new Set(services.map((s) => s.namespace))].sort();

/**
 * Every policy name starts from the gateway's name, and every selector names
 * its instance: two gateways in one stack own separate policies, and each
 * service admits the gateway that routes to it.
 *
 * Services trust identity headers because only the gateway can reach them:
 *   - every service namespace denies all ingress by default;
 *   - each service admits the gateway's pods (by namespace and labels) on its port;
 *   - optional, off by default: same-namespace traffic, monitoring scrapes.
 */
export function renderServiceNetworkPolicies(plan: NetworkPolicyPlan): Manifest[] {
  const gw = plan.gateway.name;
  const gateway = inNamespace(plan.gateway.namespace, gatewayPodLabels(gw));
  const namespaces = uniqueNamespaces(plan.services);
  const { monitoring, allowSameNamespace } = plan;
  return [
    ...namespaces.map((ns) => policy(ns, `${gw}-default-deny-ingress`, { podSelector: {}, policyTypes: ["Ingress"] })),
    ...plan.services.map((s) =>
      policy(s.namespace, gatewayToServicePolicyName(gw, s.name), {
        podSelector: { matchLabels: { ...s.podSelector } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [gateway], ports: [tcp(s.port)] }],
      }),
    ),
    ...(allowSameNamespace
      ? namespaces.map((ns) =>
          policy(ns, `${gw}-allow-same-namespace`, { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] }),
        )
      : []),
    ...(monitoring
      ? namespaces.map((ns) =>
          policy(ns, `${gw}-allow-monitoring-scrape`, {
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [{ from: [inNamespace(monitoring.namespace, monitoring.podSelector)], ports: monitoring.ports.map(tcp) }],
          }),
        )
      : []),
  ];
}

/**
 * The gateway's own namespace: its pods accept client traffic on the listen
 * ports (and scrapes, when monitoring is on), and may call only their
 * services, Keycloak, cluster DNS and the rate-limit store's Redis.
 */
export function renderGatewayNetworkPolicies(plan: NetworkPolicyPlan): Manifest[] {
  const ns = plan.gateway.namespace;
  const gw = plan.gateway.name;
  const gatewayPods = { matchLabels: gatewayPodLabels(gw) };
  const { monitoring, dns, keycloak, rateLimitStore: store } = plan;
  const serviceEgress = plan.services.map((s) => ({ to: [inNamespace(s.namespace, s.podSelector)], ports: [tcp(s.port)] }));
  const storeEgress = store ? [{ to: [inNamespace(store.namespace, store.podSelector)], ports: store.ports.map(tcp) }] : [];
  return [
    policy(ns, `${gw}-default-deny`, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    policy(ns, `${gw}-ingress`, {
      podSelector: gatewayPods,
      policyTypes: ["Ingress"],
      ingress: [
        // Callers come from anywhere the cluster routes them from (load balancer, ingress controller).
        // No rule for the status port: only the kubelet probes it, from the node, which CNIs admit regardless of NetworkPolicy.
        { ports: [tcp(GATEWAY_PORTS.http), tcp(GATEWAY_PORTS.https)] },
        ...(monitoring ? [{ from: [inNamespace(monitoring.namespace, monitoring.podSelector)], ports: [tcp(GATEWAY_PORTS.metrics)] }] : []),
      ],
    }),
    policy(ns, `${gw}-egress`, {
      podSelector: gatewayPods,
      policyTypes: ["Egress"],
      egress: [
        ...serviceEgress,
        // The rate-limit counters' Redis, when the store is shared.
        ...storeEgress,
        { to: [inNamespace(keycloak.namespace, keycloak.podSelector)], ports: [tcp(keycloak.port)] },
        { to: [inNamespace(dns.namespace, dns.podSelector)], ports: [{ port: 53, protocol: "UDP" }, tcp(53)] },
      ],
    }),
  ];
}

/** Keycloak's namespace: admit the gateway on Keycloak's port (discovery and JWKS). Only an allow: the namespace is not ours to lock down. */
export function renderKeycloakNetworkPolicies(plan: NetworkPolicyPlan): Manifest[] {
  const { gateway, keycloak } = plan;
  return [
    policy(keycloak.namespace, `allow-${gateway.name}-to-keycloak`, {
      podSelector: { matchLabels: { ...keycloak.podSelector } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [inNamespace(gateway.namespace, gatewayPodLabels(gateway.name))], ports: [tcp(keycloak.port)] }],
    }),
  ];
}

/** Every policy for checked args (`checkNetworkPoliciesArgs`). */
export function renderNetworkPoliciesForPlan(plan: NetworkPolicyPlan): Manifest[] {
  return [...renderServiceNetworkPolicies(plan), ...renderGatewayNetworkPolicies(plan), ...renderKeycloakNetworkPolicies(plan)];
}

/** Every policy a validated access spec needs. */
export function renderNetworkPolicies(spec: AccessSpec): Manifest[] {
  return renderNetworkPoliciesForPlan(networkPoliciesArgsOf(spec));
}
