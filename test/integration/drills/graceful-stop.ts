/**
 * The graceful-stop drill: keep-alive callers with requests in flight when
 * the gateway is told to stop (nginx's SIGQUIT, what a pod's stop comes to
 * once its preStop sleep ends). Every accepted request must complete.
 */
import { Agent } from "node:http";
import type { RunningGateway } from "../support/gateway-runtime";
import { timedRequest } from "../support/http";
import { call } from "./upstream-faults";

export interface GracefulStopResult {
  /** Requests accepted before the stop signal, and how many of them did not end in a whole 200. */
  inFlight: number;
  failed: number;
  failures: string[];
  /** From the signal to the master's exit. */
  exitMs: number;
  /** Whether a new connection after the signal was refused (the gateway stopped listening). */
  newConnectionsRefused: boolean;
}

/**
 * `connections` keep-alive connections, warmed with one request each, then
 * one slow request (`slowPath`, answered after `delayMs`) on each; the stop
 * signal goes out while they are all in flight.
 */
export async function runGracefulStopDrill(
  gateway: RunningGateway,
  token: string,
  opts: { connections: number; delayMs: number; quickPath: string; slowPath: (delayMs: number) => string },
): Promise<GracefulStopResult> {
  if (!gateway.quit) throw new Error(`the ${gateway.runtime} runtime cannot be stopped gracefully from here`);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const keepAliveCall = (path: string) => timedRequest(gateway.http, { path, headers: { authorization: `Bearer ${token}` }, agent, timeoutMs: 60_000 });
  try {
    const warm = await Promise.all(Array.from({ length: opts.connections }, () => keepAliveCall(opts.quickPath)));
    if (warm.some((o) => o.status !== 200)) throw new Error(`warm-up failed: ${JSON.stringify(warm.filter((o) => o.status !== 200)[0])}`);
    const inFlight = Array.from({ length: opts.connections }, () => keepAliveCall(opts.slowPath(opts.delayMs)));
    // Accepted and on their way to the service: a fifth of the delay in.
    await new Promise((r) => setTimeout(r, Math.min(500, opts.delayMs / 5)));
    const signalled = Date.now();
    const exited = gateway.quit().then(() => Date.now() - signalled);
    await new Promise((r) => setTimeout(r, 200));
    const late = await call(gateway.http, "GET", opts.quickPath, token);
    const outcomes = await Promise.all(inFlight);
    const failures = outcomes.filter((o) => o.status !== 200 || o.error).map((o) => `${o.status} ${o.error ?? ""} after ${o.waitedMs} ms`);
    return {
      inFlight: outcomes.length,
      failed: failures.length,
      failures,
      exitMs: await exited,
      newConnectionsRefused: late.status === 0 && /ECONNREFUSED/.test(late.error ?? ""),
    };
  } finally {
    agent.destroy();
  }
}
