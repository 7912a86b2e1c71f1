/**
 * A service behind the gateway for benchmarks: Debian's nginx serving TLS,
 * demanding a client certificate from the stack's CA (like the echo upstream),
 * answering a fixed body from its own worker. It is many times faster than the
 * gateway, so a benchmark measures the gateway, not the service.
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports";
import { waitFor } from "./gateway-runtime";

const run = promisify(execFile);
export const NGINX = "/usr/sbin/nginx";

export async function startNginxUpstream(
  name: string,
  tls: { certPem: string; keyPem: string; caPem: string },
): Promise<{ address: { host: string; port: number }; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "bench-upstream-"));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "logs"));
  writeFileSync(join(dir, "tls.crt"), tls.certPem);
  writeFileSync(join(dir, "tls.key"), tls.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, "ca.crt"), tls.caPem);
  writeFileSync(
    join(dir, "nginx.conf"),
    `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/tls.crt;
    ssl_certificate_key ${dir}/tls.key;
    ssl_client_certificate ${dir}/ca.crt;
    ssl_verify_client on;
    location / { default_type text/plain; return 200 "Hostname: ${name}\\n"; }
  }
}
`,
  );
  await run(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "logs", "error.log")]);
  await waitFor(`nginx upstream on ${port}`, 10_000, async () => existsSync(join(dir, "nginx.pid")));
  return {
    address: { host: "127.0.0.1", port },
    async stop() {
      await run(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "logs", "error.log"), "-s", "quit"]).catch(() => undefined);
      await waitFor("nginx upstream to exit", 10_000, async () => !existsSync(join(dir, "nginx.pid"))).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
