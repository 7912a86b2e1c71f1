/**
 * The soak: minutes of steady mixed traffic through the real gateway. Each
 * request's class says which statuses are right for it; anything else is
 * unexpected. Reports worker memory over time (the fast-path cache and the
 * rate-limit counters must level off, not grow with traffic) and whether the
 * decision log has one line per request.
 */
import { readFileSync } from "node:fs";
import { Agent } from "node:http";
import type { Address } from "../support/gateway-runtime";
import { parseDecisionLog } from "../support/decision-log";
import { timedRequest } from "../support/http";

/** One kind of request, what it may get, and how to make the next one. */
export interface SoakClass {
  name: string;
  expected: number[];
  /** The next request of this kind, sent on the soak's keep-alive connections... */
  next?(): Promise<{ method: string; path: string; headers: Record<string, string> }>;
  /** ...or sent by the class itself (a browser keeping its session's cookies). */
  call?(): Promise<{ status: number; error?: string; headers?: Record<string, string | string[] | undefined> }>;
  /** Requests of this class sent before measuring (default 20): enough to fill what it fills, caches included. */
  warmUp?: number;
}

export interface SoakResult {
  seconds: number;
  requests: number;
  unexpected: number;
  /** Up to 10 examples: class, status (0: no answer), detail. */
  examples: string[];
  byClass: Record<string, Record<string, number>>;
  /** Summed memory of the workers (KiB) after warm-up, half-way, at the end: resident in all, and private (Lua heaps, nginx's pools; not the shared dicts' pages). */
  rssKiB: { start: number; half: number; end: number };
  privateKiB: { start: number; half: number; end: number };
  /** Requests of the soak with exactly one decision-log line (found by the X-Request-Id each answer carries). */
  decisionLines: number;
  p99Ms: number;
}

/**
 * Summed memory (KiB) of the given processes: `VmRSS` (everything resident,
 * shared dict pages included as each worker first touches them) or `RssAnon`
 * (private: what could leak).
 */
export function memoryKiB(pids: number[], field: "VmRSS" | "RssAnon" = "VmRSS"): number {
  return pids.reduce((sum, pid) => {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return sum + (m ? Number(m[1]) : 0);
  }, 0);
}

/**
 * `rate` requests per second for `seconds`, classes taken in turn, sent in
 * batches every 100 ms over at most 64 keep-alive connections.
 */
export async function runSoak(opts: {
  gateway: Address;
  classes: SoakClass[];
  seconds: number;
  rate: number;
  workerPids(): number[];
  decisionLog(): Promise<string>;
}): Promise<SoakResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const byClass: Record<string, Record<string, number>> = {};
  const examples: string[] = [];
  const latencies: number[] = [];
  const requestIds: string[] = [];
  let unexpected = 0;
  let requests = 0;
  let turn = 0;
  const send = async (c: SoakClass) => timedRequest(opts.gateway, { ...(await c.next!()), agent, timeoutMs: 10_000 });
  const one = async () => {
    const c = opts.classes[turn++ % opts.classes.length];
    const started = Date.now();
    const reply = c.call
      ? await c.call().then(
          (r) => ({ status: r.status, error: r.error, requestId: String(r.headers?.["x-request-id"] ?? ""), waitedMs: Date.now() - started }),
          (e: Error) => ({ status: 0, error: e.message, requestId: "", waitedMs: Date.now() - started }),
        )
      : await send(c);
    requests++;
    requestIds.push(reply.requestId);
    latencies.push(reply.waitedMs);
    const key = reply.error ? `${reply.status}:${reply.error}` : String(reply.status);
    (byClass[c.name] ??= {})[key] = (byClass[c.name][key] ?? 0) + 1;
    if (reply.error || !c.expected.includes(reply.status)) {
      unexpected++;
      if (examples.length < 10) examples.push(`${c.name}: ${key}`);
    }
  };
  try {
    // Warm-up: the start figure holds loaded code and full caches, not empty workers.
    for (const c of opts.classes) {
      for (let i = 0; i < (c.warmUp ?? 20); i++) {
        const reply = c.call ? await c.call() : await send(c);
        if (!c.expected.includes(reply.status)) throw new Error(`warm-up: ${c.name} got ${reply.status}`);
      }
    }
    const sentBefore = requests;
    const idsBefore = requestIds.length;
    const sample = () => ({ rss: memoryKiB(opts.workerPids()), private: memoryKiB(opts.workerPids(), "RssAnon") });
    const start = sample();
    let half: typeof start | undefined;
    const began = Date.now();
    const batch = Math.max(1, Math.round(opts.rate / 10));
    const inFlight = new Set<Promise<void>>();
    let tick = 0;
    while (Date.now() - began < opts.seconds * 1000) {
      for (let i = 0; i < batch; i++) {
        const p = one().finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      tick++;
      if (!half && Date.now() - began >= (opts.seconds * 1000) / 2) half = sample();
      // Steady: the next batch at its slot, whatever this one took.
      await new Promise((r) => setTimeout(r, Math.max(0, began + tick * 100 - Date.now())));
    }
    await Promise.all(inFlight);
    const end = sample();
    // A line is written after its answer is sent: give the last ones a moment.
    await new Promise((r) => setTimeout(r, 500));
    const linesPerId = new Map<string, number>();
    for (const d of parseDecisionLog(await opts.decisionLog())) linesPerId.set(d.request_id, (linesPerId.get(d.request_id) ?? 0) + 1);
    const decisionLines = requestIds.slice(idsBefore).filter((id) => linesPerId.get(id) === 1).length;
    latencies.sort((a, b) => a - b);
    return {
      seconds: (Date.now() - began) / 1000,
      requests: requests - sentBefore,
      unexpected,
      examples,
      byClass,
      rssKiB: { start: start.rss, half: (half ?? end).rss, end: end.rss },
      privateKiB: { start: start.private, half: (half ?? end).private, end: end.private },
      decisionLines,
      p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    };
  } finally {
    agent.destroy();
  }
}

export interface SoakWorld {
  /** A current token the realm issued to a viewer client (renewed by the world before it expires). */
  viewerToken(): Promise<string>;
  forge: { valid(roles: string[], extra?: Record<string, unknown>): Promise<string>; expired(): Promise<string>; unknownKid(): Promise<string> };
  /** A signed-in browser session's API call (its cookies kept by the browser). */
  sessionCall(): Promise<{ status: number }>;
  /** Distinct valid tokens to rotate: more than a worker's fast-path cache holds. */
  distinctTokens: number;
}

/** Tokens live minutes (the realm's lifespan, which the gateway enforces): a soak renews each one well before it ends. */
const RENEW_AFTER_MS = 120_000;

/** A token renewed when older than RENEW_AFTER_MS. */
function renewing(mint: () => Promise<string>): () => Promise<string> {
  let current: { token: Promise<string>; at: number } | undefined;
  return () => {
    if (!current || Date.now() - current.at > RENEW_AFTER_MS) current = { token: mint(), at: Date.now() };
    return current.token;
  };
}

/** The soak's mix: allowed, refused in each way the gateway refuses, limited, public and session traffic. */
export async function soakClasses(w: SoakWorld): Promise<SoakClass[]> {
  const pool = Array.from({ length: w.distinctTokens }, (_, i) => renewing(() => w.forge.valid(["viewer"], { sub: `soak-${i}` })));
  await Promise.all(pool.map((token) => token()));
  const viewer = renewing(() => w.viewerToken());
  // The viewer's real token with another signature: a forgery under the realm's key id.
  const forged = renewing(async () => {
    const [header, payload] = (await viewer()).split(".");
    return `${header}.${payload}.${Buffer.from("not the realm's signature").toString("base64url")}`;
  });
  const expired = await w.forge.expired();
  const unknownKid = renewing(() => w.forge.unknownKid());
  let i = 0;
  const get =
    (path: string, token?: () => Promise<string>, method = "GET") =>
    async () => ({ method, path, headers: (token ? { authorization: `Bearer ${await token()}` } : {}) as Record<string, string> });
  return [
    {
      name: "valid, rotating tokens",
      expected: [200],
      warmUp: pool.length,
      next: async () => ({ method: "GET", path: `/api/orders/${i}`, headers: { authorization: `Bearer ${await pool[i++ % pool.length]()}` } }),
    },
    { name: "valid, one token", expected: [200], next: get("/api/orders/steady", viewer) },
    { name: "role missing", expected: [403], next: get("/api/admin/x", viewer) },
    { name: "forged signature, known key", expected: [401], next: get("/api/orders/x", forged) },
    { name: "expired", expected: [401], next: get("/api/orders/x", async () => expired) },
    { name: "unknown key", expected: [401], next: get("/api/orders/x", unknownKid) },
    { name: "no token", expected: [401], next: get("/api/orders/x") },
    { name: "method not allowed", expected: [405], next: get("/api/orders/x", viewer, "PATCH") },
    { name: "public", expected: [200], next: get("/api/public") },
    { name: "rate limited", expected: [200, 429], next: get("/api/limited/x", viewer) },
    { name: "session", expected: [200], call: () => w.sessionCall() },
  ];
}
