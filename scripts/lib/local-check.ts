/**
 * The access matrix's rows, once, against a running local gateway: the same
 * table the gateway tier checks (components/gateway/access-matrix.ts), each
 * row one request with its caller's token. An allowed row must reach the
 * service with 200; a refused one must get the row's status and never reach it.
 * Browser-app routes are checked for the anonymous caller (sign-in or 401);
 * their signed-in rows need a browser session.
 */
import { renderAccessMatrix, callerLabel, type AccessMatrixEntry } from "../../components/gateway";
import { appOfRoute } from "../../components/access-spec";
import { reachedUpstream, send } from "../../test/integration/support/http";
import type { LocalGateway } from "./local-gateway";

/** The tenant a caller's path names on `{tenant}` routes: its own (the tokens' "acme"), except the other-tenant caller's. */
export function requestPath(path: string, caller: string): string {
  return path.replace("{tenant}", caller === "(other tenant)" ? "globex-local" : "acme").replace("*", "item-1");
}

/** Rows a local run can check: every bearer row, and the anonymous rows of app routes. */
export function checkableRows(local: Pick<LocalGateway, "spec">): AccessMatrixEntry[] {
  return renderAccessMatrix(local.spec).filter((e) => e.caller.kind === "anonymous" || !appOfRoute(local.spec, { path: e.path }));
}

/** What is wrong with the gateway's answer to a row, or undefined when it is what the matrix says. */
export async function checkRow(local: LocalGateway, e: AccessMatrixEntry, tokens: Map<string, string>): Promise<string | undefined> {
  const caller = callerLabel(e.caller);
  const headers: Record<string, string> = {};
  const host = local.hostFor(e.path);
  if (host) headers.host = host;
  if (e.caller.kind !== "anonymous") {
    const key = e.caller.kind === "role" ? e.caller.role : e.caller.kind;
    if (!tokens.has(key)) tokens.set(key, await local.tokenFor(key));
    headers.authorization = `Bearer ${tokens.get(key)}`;
  }
  const path = requestPath(e.path, caller);
  const reply = await send(local.gateway.http, e.method, path, headers);
  const row = `${e.method} ${path} as ${caller}`;
  if (e.outcome.allow) {
    if (reply.status !== 200) return `${row}: ${reply.status}, the matrix says allow`;
    if (e.method !== "HEAD" && !reachedUpstream(reply)) return `${row}: 200 without reaching the service`;
    return undefined;
  }
  if (reply.status !== e.outcome.status) return `${row}: ${reply.status}, the matrix says ${e.outcome.status} ${e.outcome.reason}`;
  if (reachedUpstream(reply)) return `${row}: refused, but the service was reached`;
  return undefined;
}

export async function checkAccessMatrix(local: LocalGateway): Promise<{ passed: number; failures: string[] }> {
  const tokens = new Map<string, string>();
  const failures: string[] = [];
  let passed = 0;
  for (const e of checkableRows(local)) {
    const problem = await checkRow(local, e, tokens);
    if (problem) failures.push(problem);
    else passed++;
  }
  return { passed, failures };
}
