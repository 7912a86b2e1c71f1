/**
 * Services that fail, for the upstream-fault drill. Each speaks mTLS with the
 * service's certificate (what the gateway verifies), then misbehaves:
 *   - refusing: nothing listens on its port (a crashed pod, no endpoint);
 *   - hanging: takes the request and never answers (a deadlocked service);
 *   - resetting: takes the request and resets the connection, before
 *     answering (a crash mid-request) or after a partial answer (a crash
 *     mid-response: the 200 is already on its way to the caller);
 *   - slow: answers, after a delay its path names (requests in flight).
 */
import { createServer as createHttpsServer } from "node:https";
import { createServer, type TLSSocket } from "node:tls";
import type { Upstream } from "./gateway-topology";
import { freePort } from "./ports";

type Tls = { certPem: string; keyPem: string; caPem: string };
export type FaultKind = "refusing" | "hanging" | "resetting";

/** A port nothing listens on: taken, then closed. */
export async function startRefusingUpstream(): Promise<Upstream> {
  const port = await freePort();
  return { address: { host: "127.0.0.1", port }, stop: async () => undefined };
}

/** Drops the connection with a TCP reset where the platform allows it (a crash), else closes it. */
function reset(socket: TLSSocket): void {
  const raw = (socket as unknown as { _parent?: { resetAndDestroy?: () => void } })._parent;
  if (raw?.resetAndDestroy) raw.resetAndDestroy();
  else socket.destroy();
}

/**
 * hanging: reads and never writes. resetting: a request whose path contains
 * "/mid-response" gets a 200 head and part of its body before the reset; any
 * other path, the reset alone.
 */
export async function startMisbehavingUpstream(kind: Exclude<FaultKind, "refusing">, tls: Tls): Promise<Upstream & { accepted: number }> {
  const sockets = new Set<TLSSocket>();
  const state = { accepted: 0 };
  const server = createServer({ cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: true }, (socket) => {
    state.accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let head = "";
    socket.on("data", (chunk) => {
      if (kind === "hanging") return;
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      if (head.split("\r\n")[0].includes("/mid-response")) {
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\n${"x".repeat(1000)}`, () =>
          setTimeout(() => reset(socket), 50),
        );
      } else {
        reset(socket);
      }
    });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    address: { host: "127.0.0.1", port },
    get accepted() {
      return state.accepted;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers 200 after the milliseconds its path ends with (`/api/faults/slow/1500`): requests that are in flight for a while. */
export async function startSlowUpstream(tls: Tls): Promise<Upstream> {
  const server = createHttpsServer({ cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const delay = Math.min(Number(/(\d+)$/.exec(req.url ?? "")?.[1] ?? 0), 60_000);
    req.resume();
    setTimeout(() => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`slept ${delay} ms\n`);
    }, delay);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    address: { host: "127.0.0.1", port },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
