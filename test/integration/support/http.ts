import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request with the path sent exactly as given (no URL normalisation:
 * path-trick tests depend on the raw bytes reaching the gateway).
 */
export function send(base: { host: string; port: number; tls?: RequestOptions }, method: string, rawPath: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const make = base.tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make({ host: base.host, port: base.port, method, path: rawPath, headers, agent: false, ...(base.tls ?? {}) }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on("error", reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${method} ${rawPath}`)));
    if (body) req.write(body);
    req.end();
  });
}

/** The request headers traefik/whoami echoes back, lower-cased; empty when the upstream was not reached. */
export function echoedHeaders(reply: Reply): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!reply.body.includes("Hostname:")) return out;
  for (const line of reply.body.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
    if (m) (out[m[1].toLowerCase()] ??= []).push(m[2]);
  }
  return out;
}

/** Whether a reply came from the echo upstream (whoami prints its hostname first). */
export const reachedUpstream = (reply: Reply) => reply.status >= 200 && reply.status < 300 && reply.body.includes("Hostname:");

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return -1;
}
