/** The gateway's decision log (gateway-decisions), read back by the checks. */

/** The fields of every line, no more: a new field is a new thing the log could leak. */
export const DECISION_FIELDS = [
  "claims_from",
  "client_id",
  "decision",
  "latency_ms",
  "method",
  "path",
  "reason",
  "request_id",
  "route",
  "status",
  "sub",
  "tenant",
  "time",
  "upstream_status",
] as const;

export interface Decision {
  time: string;
  route: string | null;
  method: string;
  path: string;
  status: number;
  decision: "allow" | "deny";
  reason: string;
  sub: string | null;
  client_id: string | null;
  tenant: string | null;
  /** How the caller's claims were established: verified by openid-connect on this request, remembered from an earlier one, or the session's. */
  claims_from: "openid-connect" | "fast-path" | "session" | null;
  upstream_status: number | null;
  latency_ms: number;
  request_id: string;
}

/** Every line, parsed; a line that is not one JSON object fails loudly. */
export function parseDecisionLog(text: string): Decision[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Decision;
      } catch {
        throw new Error(`decision log line is not JSON: ${line.slice(0, 200)}`);
      }
    });
}

/** The lines of some requests, by request id (X-Request-Id of each response). */
export function decisionsFor(log: Decision[], requestIds: string[]): Map<string, Decision[]> {
  const wanted = new Set(requestIds);
  const found = new Map<string, Decision[]>(requestIds.map((id) => [id, []]));
  for (const d of log) if (wanted.has(d.request_id)) found.get(d.request_id)!.push(d);
  return found;
}
