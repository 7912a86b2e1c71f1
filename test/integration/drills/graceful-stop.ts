/**
 * The graceful-stop drill: keep-alive callers with requests in flight when
 * the gateway is told to stop (nginx's SIGQUIT, what a pod's stop comes to
 * once its preStop sleep ends). Every accepted request must complete.
 */
import { Agent, request } from "node:http";
import type { RunningGateway } from "../support/gateway-runtime";
import { call, type CallOutcome } from "./upstream-faults";

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

function keepAliveCall(agent: Agent, gateway: { host: string; port: number }, path: string, token: string): Promise<CallOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const done = (o: Omit<CallOutcome, "waitedMs">) => resolve({ ...o, waitedMs: Date.now() - started });
    const req = request({ ...gateway, path, headers: { authorization: `Bearer ${token}` }, agent }, (res) => {
      res.on("data", () => undefined);
      res.on("end", () => done(res.complete ? { status: res.statusCode ?? 0 } : { status: res.statusCode ?? 0, error: "incomplete response" }));
      res.on("error", (e) => done({ status: res.statusCode ?? 0, error: e.message }));
    });
    req.on("error", (e) => done({ status: 0, error: e.message }));
    req.setTimeout(60_000, () => req.destroy(new Error("client timeout (60 s)")));
    req.end();
  });
}

/**
 * `connections` keep-alive connections, warmed with one request each, then
 * one slow request (`slowPath`, answered after `delayMs`) on each; the stop
 * signal goes out while they are all in flight.
 */
export async function runGracefulStopDrill(gateway: RunningGateway, token: string, opts: { connections: number; delayMs: number; quickPath: string; slowPath: (delayMs: number) => string }): Promise<GracefulStopResult> {
  if (!gateway.quit) throw new Error(`the ${gateway.runtime} runtime cannot be stopped gracefully from here`);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  try {
    const warm = await Promise.all(Array.from({ length: opts.connections }, () => keepAliveCall(agent, gateway.http, opts.quickPath, token)));
    if (warm.some((o) => o.status !== 200)) throw new Error(`warm-up failed: ${JSON.stringify(warm.filter((o) => o.status !== 200)[0])}`);
    const inFlight = Array.from({ length: opts.connections }, () => keepAliveCall(agent, gateway.http, opts.slowPath(opts.delayMs), token));
    // Accepted and on their way to the service: a fifth of the delay in.
    await new Promise((r) => setTimeout(r, Math.min(500, opts.delayMs / 5)));
    const signalled = Date.now();
    const exited = gateway.quit().then(() => Date.now() - signalled);
    await new Promise((r) => setTimeout(r, 200));
    const late = await call(gateway.http, "GET", opts.quickPath, token);
    const outcomes = await Promise.all(inFlight);
    const failures = outcomes.filter((o) => o.status !== 200 || o.error).map((o) => `${o.status} ${o.error ?? ""} after ${o.waitedMs} ms`);
    return { inFlight: outcomes.length, failed: failures.length, failures, exitMs: await exited, newConnectionsRefused: late.status === 0 && /ECONNREFUSED/.test(late.error ?? "") };
  } finally {
    agent.destroy();
  }
}
