/**
 * A small NetworkPolicy evaluator (networking.k8s.io/v1 semantics) for tests:
 * given policies and labelled pods, may pod A open a connection to pod B on a
 * port? Covers what this project renders: pod and namespace selectors
 * (matchLabels, matchExpressions), numeric ports, Ingress and Egress. It does
 * not model ipBlock, named ports or endPort; such a policy makes it throw.
 */
import type { Manifest } from "../../components/kubernetes";

export interface Pod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: unknown };
type PortRule = { port?: number | string; protocol?: string; endPort?: number };
type Rule = { from?: Peer[]; to?: Peer[]; ports?: PortRule[] };

export function selects(selector: Selector, labels: Record<string, string>): boolean {
  const labelsOk = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const exprsOk = (selector.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case "In":
        return e.values!.includes(labels[e.key]);
      case "NotIn":
        return !(e.key in labels) || !e.values!.includes(labels[e.key]);
      case "Exists":
        return e.key in labels;
      case "DoesNotExist":
        return !(e.key in labels);
      default:
        throw new Error(`unsupported operator ${e.operator}`);
    }
  });
  return labelsOk && exprsOk;
}

export class NetworkModel {
  constructor(
    private readonly policies: Manifest[],
    private readonly namespaceLabels: (ns: string) => Record<string, string> = (ns) => ({ "kubernetes.io/metadata.name": ns }),
  ) {
    for (const p of policies) if (p.kind !== "NetworkPolicy") throw new Error(`not a NetworkPolicy: ${p.kind}`);
  }

  private peerMatches(peer: Peer, policyNamespace: string, pod: Pod): boolean {
    if (peer.ipBlock) throw new Error("ipBlock is not modelled");
    const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, this.namespaceLabels(pod.namespace)) : pod.namespace === policyNamespace;
    const podOk = peer.podSelector ? selects(peer.podSelector, pod.labels) : true;
    return nsOk && podOk;
  }

  private portMatches(ports: PortRule[] | undefined, port: number, protocol: string): boolean {
    if (!ports || ports.length === 0) return true;
    return ports.some((p) => {
      if (typeof p.port === "string" || p.endPort) throw new Error("named ports and endPort are not modelled");
      return (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === port);
    });
  }

  /** Policies that select `pod` and restrict the given direction. */
  private isolating(pod: Pod, type: "Ingress" | "Egress"): Manifest[] {
    return this.policies.filter((p) => {
      const spec = p.spec as any;
      const types: string[] = spec.policyTypes ?? (spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
      return p.metadata.namespace === pod.namespace && types.includes(type) && selects(spec.podSelector ?? {}, pod.labels);
    });
  }

  private allowedBy(pod: Pod, peer: Pod, port: number, protocol: string, type: "Ingress" | "Egress"): boolean {
    const isolating = this.isolating(pod, type);
    if (isolating.length === 0) return true;
    return isolating.some((p) => {
      const rules: Rule[] = (p.spec as any)[type === "Ingress" ? "ingress" : "egress"] ?? [];
      return rules.some((r) => {
        const peers = type === "Ingress" ? r.from : r.to;
        const peerOk = !peers || peers.length === 0 || peers.some((x) => this.peerMatches(x, p.metadata.namespace!, peer));
        return peerOk && this.portMatches(r.ports, port, protocol);
      });
    });
  }

  /** Whether `from` may connect to `to` on `port`: egress of the source and ingress of the destination must both allow it. */
  canReach(from: Pod, to: Pod, port: number, protocol: "TCP" | "UDP" = "TCP"): boolean {
    return this.allowedBy(from, to, port, protocol, "Egress") && this.allowedBy(to, from, port, protocol, "Ingress");
  }
}
