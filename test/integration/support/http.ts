import { request as httpRequest, type Agent } from "node:http";
import { connect } from "node:net";
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
export function send(
  base: { host: string; port: number; tls?: RequestOptions },
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Reply> {
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
    const m = /^([A-Za-z0-9_-]+): (.*)$/.exec(line);
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

/**
 * One request written byte for byte on a plain socket, for what an HTTP
 * client library will not send as is (CONNECT becomes a tunnel in Node's).
 */
export function sendRaw(base: { host: string; port: number }, method: string, rawPath: string, headers: Record<string, string> = {}): Promise<Reply> {
  const head = [
    `${method} ${rawPath} HTTP/1.1`,
    `Host: ${base.host}:${base.port}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    "Connection: close",
    "",
    "",
  ].join("\r\n");
  return new Promise((resolve, reject) => {
    const socket = connect(base.port, base.host, () => socket.end(head));
    let data = "";
    socket.setEncoding("utf8");
    socket.setTimeout(15_000, () => socket.destroy(new Error(`timeout: ${method} ${rawPath}`)));
    socket.on("data", (c) => (data += c));
    socket.on("error", reject);
    socket.on("close", () => {
      const [headText, ...rest] = data.split("\r\n\r\n");
      const [statusLine, ...lines] = headText.split("\r\n");
      const headersOut: Record<string, string> = {};
      for (const l of lines) headersOut[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
      resolve({ status: Number(statusLine.split(" ")[1] ?? 0), headers: headersOut, body: rest.join("\r\n\r\n") });
    });
  });
}

/** An answer, or how it failed (`error`: the connection ended early, or never answered), and how long it took. */
export interface TimedReply {
  status: number;
  error?: string;
  waitedMs: number;
  /** The gateway's X-Request-Id, to find the request's decision-log line. */
  requestId: string;
}

/**
 * One request for a drill: a failure is an outcome to count, not an
 * exception. On `agent`'s keep-alive connections, or a connection of its own;
 * gives up after `timeoutMs`.
 */
export function timedRequest(
  base: { host: string; port: number },
  r: { method?: string; path: string; headers?: Record<string, string>; agent?: Agent | false; timeoutMs: number },
): Promise<TimedReply> {
  const started = Date.now();
  return new Promise((resolve) => {
    const done = (o: Omit<TimedReply, "waitedMs">) => resolve({ ...o, waitedMs: Date.now() - started });
    const req = httpRequest({ ...base, method: r.method ?? "GET", path: r.path, headers: r.headers ?? {}, agent: r.agent ?? false }, (res) => {
      const answer = { status: res.statusCode ?? 0, requestId: String(res.headers["x-request-id"] ?? "") };
      res.on("data", () => undefined);
      res.on("end", () => done(res.complete ? answer : { ...answer, error: "incomplete response" }));
      res.on("error", (e) => done({ ...answer, error: e.message }));
      res.on("aborted", () => done({ ...answer, error: "aborted" }));
    });
    req.on("error", (e) => done({ status: 0, error: e.message, requestId: "" }));
    req.setTimeout(r.timeoutMs, () => req.destroy(new Error(`no answer in ${r.timeoutMs} ms`)));
    req.end();
  });
}
