/**
 * npm run bench:gateway [-- --requests 5000 --concurrency 32]   (Docker and the pulumi CLI only)
 *
 * Requests/s and p50/p99 latency through APISIX for the same mTLS upstream:
 *   (a) a public route, no auth;
 *   (b) this project's auth chain (openid-connect + gateway-identity + acl) with a valid token;
 *   (c) the same auth chain on a gateway without the jwt_verification cache (every request pays RS256).
 * Prints the ratios, and how many requests Keycloak served for discovery/JWKS during the steady state
 * (from Keycloak's metrics): it should be zero.
 */
import { Agent, request } from "node:http";
import { probeE2eEnvironment } from "../test/integration/support/environment";
import { CALLERS } from "../test/integration/support/spec";
import { clientCredentialsToken } from "../test/integration/support/tokens";
import { startGateway, startTopology } from "../test/integration/support/topology";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Result { label: string; rps: number; p50: number; p99: number; errors: number }

async function load(label: string, target: { host: string; port: number }, path: string, headers: Record<string, string>, total: number, concurrency: number): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const once = () =>
    new Promise<number>((resolve) => {
      const start = process.hrtime.bigint();
      const req = request({ host: target.host, port: target.port, path, headers, agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200 ? Number(process.hrtime.bigint() - start) / 1e6 : -1));
      });
      req.on("error", () => resolve(-1));
      req.end();
    });
  const run = async (n: number) => {
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next++ < n) latencies.push(await once());
    }));
    return latencies;
  };
  await run(Math.min(500, total)); // warm-up: keys fetched, connections open, caches filled
  const started = performance.now();
  const latencies = await run(total);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const ok = latencies.filter((l) => l >= 0).sort((a, b) => a - b);
  const pct = (p: number) => ok[Math.min(ok.length - 1, Math.floor((p / 100) * ok.length))] ?? NaN;
  return { label, rps: ok.length / seconds, p50: pct(50), p99: pct(99), errors: latencies.length - ok.length };
}

/** Requests Keycloak served for discovery and JWKS so far (Micrometer metrics on the management port). */
async function keycloakKeyRequests(mgmt: { host: string; port: number }): Promise<number> {
  const text = await (await fetch(`http://${mgmt.host}:${mgmt.port}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("http_server_requests_seconds_count") && /openid-connect\/certs|well-known\/openid-configuration/.test(l))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).pop()), 0);
}

async function main(): Promise<void> {
  const environment = await probeE2eEnvironment();
  if (!environment.ready) {
    console.error(`bench:gateway cannot run here: ${environment.reason}`);
    process.exit(2);
  }
  const total = arg("requests", 5000);
  const concurrency = arg("concurrency", 32);
  const t = await startTopology();
  try {
    const viewer = CALLERS[0];
    const token = await clientCredentialsToken(t.kc, viewer.clientId, t.provisioned.clientSecrets[viewer.clientId]);
    const auth = { authorization: `Bearer ${token}` };
    const noCache = await startGateway(t.network, t.spec, t.provisioned, { alias: "gateway-no-cache", configOverride: (c) => delete c.nginx_config.http.custom_lua_shared_dict.jwt_verification });
    const noCacheAddress = { host: noCache.getHost(), port: noCache.getMappedPort(9080) };

    const open = await load("(a) public route, no auth", t.gatewayAddress, "/api/public", {}, total, concurrency);
    const keyRequestsBefore = await keycloakKeyRequests(t.keycloakManagement);
    const authed = await load("(b) auth chain, valid token", t.gatewayAddress, "/api/orders/bench", auth, total, concurrency);
    const keyRequestsDuring = (await keycloakKeyRequests(t.keycloakManagement)) - keyRequestsBefore;
    const uncached = await load("(c) auth chain, no verification cache", noCacheAddress, "/api/orders/bench", auth, total, concurrency);
    await noCache.stop();

    console.log(`requests per run: ${total}, concurrency: ${concurrency}`);
    for (const r of [open, authed, uncached]) console.log(`${r.label.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   errors ${r.errors}`);
    console.log(`auth / no-auth throughput ratio: ${(authed.rps / open.rps).toFixed(3)}`);
    console.log(`verification cache speed-up: ${(authed.rps / uncached.rps).toFixed(3)}x`);
    console.log(`Keycloak discovery/JWKS requests during the steady-state auth run: ${keyRequestsDuring} (${keyRequestsDuring === 0 ? "confirmed: validation is local" : "NOT zero: the gateway called Keycloak under load"})`);
    if (keyRequestsDuring !== 0) process.exitCode = 1;
  } finally {
    await t.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
