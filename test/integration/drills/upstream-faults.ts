/**
 * The upstream-fault drill: services that refuse connections, accept and
 * never answer, or reset mid-request and mid-response, behind the real
 * gateway. What each caller gets, how long it waited, what the decision log
 * says, and whether a healthy service behind the same gateway noticed.
 */
import type { RawAccessSpec } from "../../../components/access-spec";
import { parseDecisionLog, type Decision } from "../support/decision-log";
import { startMisbehavingUpstream, startRefusingUpstream, startSlowUpstream } from "../support/fault-upstreams";
import type { TopologyOptions, Upstream } from "../support/gateway-topology";
import { timedRequest, type TimedReply } from "../support/http";
import type { IssuedPki } from "../support/pki";

/** Short, so the drill ends in seconds; the defaults (5/30/30) behave alike, only slower. */
export const FAULT_TIMEOUTS = { connectSeconds: 1, sendSeconds: 2, readSeconds: 2 } as const;
const FAULTY = ["refusing", "hanging", "resetting", "slow"] as const;

/** The suite's spec plus one service per fault (and a slow one, for requests in flight), each with a protected route any role may GET. */
export const FAULT_SERVICES: NonNullable<TopologyOptions["more"]> = {
  edit(raw: RawAccessSpec) {
    (raw.services as any[]).push(
      ...FAULTY.map((name) => ({
        name,
        namespace: "shop",
        port: 8443,
        timeouts: { ...FAULT_TIMEOUTS },
        routes: [{ path: `/api/faults/${name}/*`, rules: [{ methods: ["GET", "POST"], roles: ["viewer", "writer", "admin"] }] }],
      })),
    );
  },
  async start(pki: IssuedPki): Promise<Record<string, Upstream>> {
    const tls = (name: string) => ({ ...pki.issued[`service-shop-${name}`], caPem: pki.caCertPem });
    return {
      refusing: await startRefusingUpstream(),
      hanging: await startMisbehavingUpstream("hanging", tls("hanging")),
      resetting: await startMisbehavingUpstream("resetting", tls("resetting")),
      slow: await startSlowUpstream(tls("slow")),
    };
  },
};

/** A bearer request on a connection of its own. */
export function call(gateway: { host: string; port: number }, method: string, path: string, token: string): Promise<TimedReply> {
  return timedRequest(gateway, { method, path, headers: { authorization: `Bearer ${token}` }, timeoutMs: 30_000 });
}

export interface FaultCase {
  name: string;
  path: string;
  method: string;
  /** What the documented behaviour is. */
  expected: { status: number; upstreamStatus: number | null; reason: string; truncated?: boolean };
  /** The phase's bound: the call must end within it (plus slack for the gateway's own work). */
  boundMs: number;
}

const ms = (s: number) => s * 1000;
export const FAULT_CASES: FaultCase[] = [
  {
    name: "refused connection",
    path: "/api/faults/refusing/x",
    method: "GET",
    expected: { status: 502, upstreamStatus: 502, reason: "upstream_unreachable" },
    boundMs: ms(FAULT_TIMEOUTS.connectSeconds),
  },
  {
    name: "accepted, never answers",
    path: "/api/faults/hanging/x",
    method: "GET",
    expected: { status: 504, upstreamStatus: 504, reason: "upstream_timeout" },
    boundMs: ms(FAULT_TIMEOUTS.connectSeconds + FAULT_TIMEOUTS.sendSeconds + FAULT_TIMEOUTS.readSeconds),
  },
  {
    name: "reset before answering",
    path: "/api/faults/resetting/x",
    method: "GET",
    expected: { status: 502, upstreamStatus: 502, reason: "upstream_reset" },
    boundMs: ms(FAULT_TIMEOUTS.connectSeconds),
  },
  {
    name: "reset before answering a POST (not retried)",
    path: "/api/faults/resetting/x",
    method: "POST",
    expected: { status: 502, upstreamStatus: 502, reason: "upstream_reset" },
    boundMs: ms(FAULT_TIMEOUTS.connectSeconds),
  },
  {
    name: "reset mid-response",
    path: "/api/faults/resetting/mid-response",
    method: "GET",
    expected: { status: 200, upstreamStatus: 200, reason: "upstream_reset", truncated: true },
    boundMs: ms(FAULT_TIMEOUTS.readSeconds),
  },
];

export interface FaultDrillResult {
  cases: Array<FaultCase & { outcome: TimedReply; decision?: Decision }>;
  /** Requests to the healthy service made while the hanging ones waited. */
  healthy: TimedReply[];
}

export interface FaultDrillWorld {
  gateway: { host: string; port: number };
  token: string;
  decisionLog(): Promise<string>;
  /** A path of a healthy service. */
  healthyPath: string;
}

/**
 * Every case, each `repeat` times at once (the hanging ones hold connections
 * while the healthy service is called), then the decision log's line for each.
 */
export async function runUpstreamFaultDrill(w: FaultDrillWorld, repeat = 4): Promise<FaultDrillResult> {
  const runs = FAULT_CASES.flatMap((c) => Array.from({ length: repeat }, () => c));
  const pending = runs.map((c) => call(w.gateway, c.method, c.path, w.token));
  const healthy: TimedReply[] = [];
  for (let i = 0; i < 10; i++) healthy.push(await call(w.gateway, "GET", w.healthyPath, w.token));
  const outcomes = await Promise.all(pending);
  await new Promise((r) => setTimeout(r, 300));
  const log = parseDecisionLog(await w.decisionLog());
  return {
    cases: runs.map((c, i) => ({ ...c, outcome: outcomes[i], decision: log.find((d) => d.request_id === outcomes[i].requestId) })),
    healthy,
  };
}
