/**
 * A service behind the gateway, played by a Node https server that demands a
 * client certificate signed by the stack's CA (what a service mounting its
 * `<service>-mtls` Secret does) and answers like traefik/whoami: its name, the
 * request line, then every request header, so both tiers read replies alike.
 */
import { createServer, type Server } from "node:https";
import type { TLSSocket } from "node:tls";

export interface EchoUpstream {
  name: string;
  address: { host: string; port: number };
  /** Requests it answered (the gateway reached it). */
  served: number;
  stop(): Promise<void>;
}

export async function startEchoUpstream(name: string, tls: { certPem: string; keyPem: string; caPem: string }): Promise<EchoUpstream> {
  const state = { served: 0 };
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    state.served++;
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const lines = [`Hostname: ${name}`, `ClientCertificate: ${peer?.subject?.CN ?? "(none)"}`, `${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${lines.join("\n")}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    name,
    address: { host: "127.0.0.1", port },
    get served() {
      return state.served;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
