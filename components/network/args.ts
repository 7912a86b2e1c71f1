import { type AccessSpec } from "../access-spec";
import * as P from "../access-spec/patterns";
import { SpecReader, join, type Raw } from "../access-spec/reader";

/** Pods in a namespace, chosen by labels (none: every pod there). */
export interface NetworkPeer {
  namespace: string;
  /** Default: every pod in `namespace`. */
  podSelector?: { [label: string]: string };
}

/** A service behind the gateway. */
export interface NetworkService extends NetworkPeer {
  /** Names its policy (`allow-<gateway>-to-<name>`). */
  name: string;
  /** The port its pods listen on: the only one the gateway may reach. */
  port: number;
  /** Default: `app: <name>`. */
  podSelector?: { [label: string]: string };
}

/**
 * What the NetworkPolicies are about, and nothing else: one gateway instance,
 * the services behind it, and the peers it calls. `GatewayAuth` derives it
 * from the access spec (`networkPoliciesArgsOf`); a stack that wants only the
 * policies writes it directly.
 */
export interface GatewayNetworkPoliciesArgs {
  /** The gateway instance whose pods the policies select (`app.kubernetes.io/instance: <name>`) and name. */
  gateway: { name: string; namespace: string };
  /** Each admits the gateway's pods only, on its port; its namespace denies every other ingress. At least one. */
  services: NetworkService[];
  /** Keycloak, where the gateway fetches discovery and keys. */
  keycloak: NetworkPeer & { port: number };
  /** The rate-limit store's Redis, when counters are shared. Default: none. */
  rateLimitStore?: NetworkPeer & { ports: number[] };
  /** Cluster DNS. Default: `kube-system`, `k8s-app: kube-dns`. */
  dns?: NetworkPeer;
  /** A scraper allowed to reach the gateway's and the services' metrics ports. Default: none. */
  monitoring?: NetworkPeer & { ports: number[] };
  /** Pods beside a service reach it without the gateway (widens trust: prod specs refuse it). Default: false. */
  allowSameNamespace?: boolean;
}

type Selected = Required<NetworkPeer>;
/** The args checked, with every default filled in: what the renderers read. */
export interface NetworkPolicyPlan {
  gateway: { name: string; namespace: string };
  services: (Selected & { name: string; port: number })[];
  keycloak: Selected & { port: number };
  rateLimitStore?: Selected & { ports: number[] };
  dns: Selected;
  monitoring?: Selected & { ports: number[] };
  allowSameNamespace: boolean;
}

/** The access spec's view of the network: what `GatewayAuth` hands `GatewayNetworkPolicies`. */
export function networkPoliciesArgsOf(spec: AccessSpec): NetworkPolicyPlan {
  const store = spec.gateway.rateLimits.store;
  return {
    gateway: { name: spec.gateway.name, namespace: spec.gateway.namespace },
    services: spec.services.map((s) => ({ name: s.name, namespace: s.namespace, port: s.port, podSelector: s.podSelector })),
    keycloak: { namespace: spec.keycloak.namespace, podSelector: spec.keycloak.podSelector, port: spec.keycloak.port },
    ...(store.namespace
      ? {
          rateLimitStore: {
            namespace: store.namespace,
            podSelector: store.podSelector,
            ports: [...new Set(store.addresses.map((a) => Number(a.split(":")[1])))].sort((a, b) => a - b),
          },
        }
      : {}),
    dns: spec.network.dns,
    ...(spec.network.monitoring ? { monitoring: spec.network.monitoring } : {}),
    allowSameNamespace: spec.network.allowSameNamespace,
  };
}

const port = (r: SpecReader, path: string, value: Raw) => r.integer(path, value, { min: 1, max: 65535 });
const labels = (r: SpecReader, path: string, value: Raw) => r.stringMap(path, value, P.LABEL_KEY, P.LABEL_VALUE);

function peer(r: SpecReader, path: string, value: Raw, known: string[], defaults: Partial<Selected> = {}): Selected & Record<string, unknown> {
  const o = r.object(path, value, ["namespace", "podSelector", ...known]) ?? {};
  return {
    ...o,
    namespace: r.string(join(path, "namespace"), o.namespace ?? defaults.namespace, P.K8S_NAME),
    podSelector: labels(r, join(path, "podSelector"), o.podSelector) ?? defaults.podSelector ?? {},
  };
}

const ports = (r: SpecReader, path: string, value: Raw) => r.array(path, value, (p, v) => port(r, p, v), { minItems: 1 });

/**
 * The args checked the way the access spec is (every problem with its path,
 * all at once), before any resource exists; defaults filled in.
 */
export function checkNetworkPoliciesArgs(args: GatewayNetworkPoliciesArgs, subject: string): NetworkPolicyPlan {
  const r = new SpecReader();
  const raw = args as unknown as Record<string, Raw>;
  r.object("args", raw, ["gateway", "services", "keycloak", "rateLimitStore", "dns", "monitoring", "allowSameNamespace"], "");
  const gw = r.object("gateway", raw.gateway, ["name", "namespace"]) ?? {};
  const services = r.array(
    "services",
    raw.services,
    (p, v) => {
      const o = r.object(p, v, ["name", "namespace", "port", "podSelector"]) ?? {};
      const name = r.string(join(p, "name"), o.name, P.K8S_NAME);
      const namespace = r.string(join(p, "namespace"), o.namespace, P.K8S_NAME);
      return { name, namespace, port: port(r, join(p, "port"), o.port), podSelector: labels(r, join(p, "podSelector"), o.podSelector) ?? { app: name } };
    },
    { minItems: 1 },
  );
  // Their policies are named after them, per namespace: two alike would be one policy.
  r.unique(
    services,
    (s) => `${s.namespace}/${s.name}`,
    (i) => `services[${i}].name`,
    "service",
  );
  const keycloak = peer(r, "keycloak", raw.keycloak, ["port"]);
  const store = raw.rateLimitStore === undefined ? undefined : peer(r, "rateLimitStore", raw.rateLimitStore, ["ports"]);
  const monitoring = raw.monitoring === undefined ? undefined : peer(r, "monitoring", raw.monitoring, ["ports"]);
  const plan: NetworkPolicyPlan = {
    gateway: { name: r.string("gateway.name", gw.name, P.GATEWAY_NAME), namespace: r.string("gateway.namespace", gw.namespace, P.K8S_NAME) },
    services,
    keycloak: { namespace: keycloak.namespace, podSelector: keycloak.podSelector, port: port(r, "keycloak.port", keycloak.port) },
    ...(store ? { rateLimitStore: { namespace: store.namespace, podSelector: store.podSelector, ports: ports(r, "rateLimitStore.ports", store.ports) } } : {}),
    dns: peer(r, "dns", raw.dns ?? {}, [], { namespace: "kube-system", podSelector: { "k8s-app": "kube-dns" } }),
    ...(monitoring
      ? { monitoring: { namespace: monitoring.namespace, podSelector: monitoring.podSelector, ports: ports(r, "monitoring.ports", monitoring.ports) } }
      : {}),
    allowSameNamespace: r.boolean("allowSameNamespace", raw.allowSameNamespace, false),
  };
  r.throwIfProblems(subject);
  return plan;
}
