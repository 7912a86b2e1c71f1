/**
 * npm run bench:gateway [-- --seconds 5 --rounds 5 --connections 32 --no-pin]
 *
 * Throughput and latency through the real APISIX 3.18.0 (native from
 * APISIX_HOME, or Docker) running this project's rendered files, against one
 * mTLS upstream (a static nginx that demands the gateway's certificate, so the
 * service is never the bottleneck), loopback only, with `wrk`:
 *   (a) a public route, no auth;
 *   (b) the auth chain (gateway-key-guard, openid-connect, gateway-identity)
 *       with a valid token: after its first request per worker, the
 *       verified-token fast path answers it;
 *   (c) the same chain with no verification cache at all (no fast path, no
 *       jwt_verification dict): every request's signature is checked;
 *   (d) the chain on a rate-limited route, counters local (limit set high
 *       enough never to refuse: this measures the counting, not 429s);
 *   (e) the same with the counters in Redis (a local redis-server);
 *   (f) the public route on a gateway without the decision log (its cost: a/f);
 *   (g) the chain with the fast path off: openid-connect runs on every
 *       request, answered by its own verification cache (the fast path's worth: b/g).
 * Every variant writes the decision log (a file per gateway). Runs are
 * bounded (seconds x rounds x 7), interleaved a..g per round;
 * medians are reported, and b/a is the median of the rounds' ratios. Requests that reached the identity provider during
 * (b) are counted at the provider (must be 0 after warm-up); a positive
 * control (a token under an unknown kid) proves the counter counts.
 * Then (a) and (b) again on one connection, interleaved: the p99 the chain
 * adds where requests do not queue (the summary's "added p99"; the one at
 * full load is printed too, but at 32 connections on shared cores it is
 * mostly the queue).
 * Pinned (the default on a native gateway with 2+ CPUs and taskset): every
 * gateway runs one worker on the last CPU, and wrk, the upstream, Redis and
 * the identity provider (this process) share the others, so the ratios are
 * the gateway's own CPU per request rather than how the scheduler shared the
 * cores with the load generator. `--no-pin` runs everything unpinned with
 * APISIX's default worker count.
 * Writes out/bench/gateway.md; the last line printed is the summary.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { chooseGatewayRuntime, startGatewayTopology, type GatewayTopology } from "../test/integration/support/gateway-topology";
import { editApisixRules, type Address } from "../test/integration/support/gateway-runtime";
import { startNginxUpstream } from "../test/integration/support/nginx-upstream";
import { APISIX_YAML_OPTIONS, DECISIONS_PLUGIN, KEY_GUARD_PLUGIN, RATE_LIMIT_PASSWORD_ENV } from "../components/gateway";
import { editRateLimits, redisStoreFiles, startRedis, type RunningRedis } from "../test/integration/support/redis";
import { clientCredentialsToken } from "../test/integration/support/tokens";
import { PROJECT_ROOT } from "./lib/run-stack";

const run = promisify(execFile);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${process.argv[i + 1]}`);
  return value;
}

/** Where the gateway and the load run: `gatewayCpu` alone for the gateway, `loadCpus` (a taskset list) for the rest. */
export interface Pinning { gatewayCpu: number; loadCpus: string }

/** Pinning, or why not: it needs a native gateway, 2+ CPUs, taskset and ss. */
export function choosePinning(runtime: string, cpuCount: number, wanted: boolean): Pinning | { reason: string } {
  if (!wanted) return { reason: "--no-pin" };
  if (runtime !== "native") return { reason: `the ${runtime} gateway is not pinned` };
  if (cpuCount < 2) return { reason: "one CPU" };
  if (spawnSync("sh", ["-c", "command -v taskset && command -v ss"]).status !== 0) return { reason: "taskset or ss is not on PATH" };
  return { gatewayCpu: cpuCount - 1, loadCpus: cpuCount === 2 ? "0" : `0-${cpuCount - 2}` };
}

/** Pins every process listening on `port` (an nginx master and its workers, redis-server), and its threads. */
async function pinListeners(port: number, cpus: string | number): Promise<void> {
  const { stdout } = await run("ss", ["-ltnpH", `sport = :${port}`]);
  const pids = [...new Set([...stdout.matchAll(/pid=(\d+)/g)].map((m) => m[1]))];
  if (pids.length === 0) throw new Error(`nothing listens on ${port} to pin`);
  for (const pid of pids) await run("taskset", ["-a", "-p", "-c", String(cpus), pid]);
}

export interface WrkResult { rps: number; p50: number; p99: number; errors: number }

/** wrk's summary: Requests/sec, latency percentiles (us/ms/s -> ms), non-2xx and socket errors. */
export function parseWrk(out: string): WrkResult {
  const ms = (v: string, unit: string) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit];
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    if (!m) throw new Error(`wrk printed no ${p}% latency:\n${out}`);
    return ms(m[1], m[2]);
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error(`wrk printed no Requests/sec:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  return { rps: Number(rps[1]), p50: pct("50"), p99: pct("99"), errors: non2xx + socketErrors };
}

async function wrk(target: Address, path: string, headers: Record<string, string>, seconds: number, connections: number, pin?: Pinning): Promise<WrkResult> {
  const h = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const command = ["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", ...h, `http://${target.host}:${target.port}${path}`];
  const [file, ...args] = pin ? ["taskset", "-c", pin.loadCpus, ...command] : command;
  const { stdout } = await run(file, args, { timeout: (seconds + 30) * 1000 });
  return parseWrk(stdout);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Requests the identity provider served, except token requests (the bench's own). */
const idpRequests = (t: GatewayTopology) => [...t.idp.calls].filter(([e]) => e !== "token").reduce((s, [, n]) => s + n, 0);

function machine(): string {
  const cpu = cpus();
  const runtimeVersion = spawnSync("nginx", ["-v"], { encoding: "utf8" }).stderr.trim();
  return `${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${runtimeVersion}`;
}

async function main(): Promise<void> {
  const seconds = arg("seconds", 5);
  const rounds = arg("rounds", 5);
  const connections = arg("connections", 32);
  if (spawnSync("wrk", ["--version"]).error) throw new Error("wrk is not installed: apt-get install wrk");
  const runtime = await chooseGatewayRuntime();
  if (!runtime.kind) throw new Error(`bench:gateway cannot run here: ${runtime.reason}`);

  const chosen = choosePinning(runtime.kind, cpus().length, !process.argv.includes("--no-pin"));
  const pin = "gatewayCpu" in chosen ? chosen : undefined;
  const arrangement = pin
    ? `pinned: each gateway one worker on CPU ${pin.gatewayCpu}, wrk, upstream, Redis and identity provider on CPU ${pin.loadCpus}`
    : `not pinned (${"reason" in chosen ? chosen.reason : ""}): APISIX's default worker count, all processes on all CPUs`;

  const t = await startGatewayTopology(runtime.start!, startNginxUpstream);
  let redis: RunningRedis | undefined;
  try {
    // Pinned, every gateway runs one worker (its CPU is its own).
    const oneWorker = (files: Record<string, string>) => {
      if (!pin) return files;
      const config = parse(files["config.yaml"]);
      config.nginx_config.worker_processes = 1;
      return { ...files, "config.yaml": stringify(config, APISIX_YAML_OPTIONS) };
    };
    const startGateway = (edit: (files: Record<string, string>) => Record<string, string> = (f) => f, env?: Record<string, string>) =>
      t.startGateway((files) => oneWorker(edit(files)), env);
    const viewer = t.idp.model.clients.find((c) => c.clientId === "caller-viewer")!;
    const token = await clientCredentialsToken({ baseUrl: new URL(t.idp.issuer).origin, realm: t.spec.realm.name }, viewer.clientId, viewer.secret!);
    const auth = { authorization: `Bearer ${token}` };
    // (g): the key guard remembers nothing.
    const withoutFastPath = (files: Record<string, string>) =>
      editApisixRules(files, (rules) => {
        for (const route of rules.routes) if (route.plugins?.[KEY_GUARD_PLUGIN]) route.plugins[KEY_GUARD_PLUGIN].verified_tokens.size = 0;
      });
    const gateway = await startGateway();
    const noFastPath = await startGateway(withoutFastPath);
    // (c): that, and the jwt_verification shared dict taken out of config.yaml.
    const noCache = await startGateway((files) => {
      const config = parse(files["config.yaml"]);
      delete config.nginx_config.http.custom_lua_shared_dict.jwt_verification;
      return withoutFastPath({ ...files, "config.yaml": stringify(config, APISIX_YAML_OPTIONS) });
    });
    // (d), (e): the limited route with a limit nobody reaches, counted locally or in Redis.
    const unreachable = (conf: Record<string, unknown>) => void (conf.count = 1_000_000_000);
    const limitedLocal = await startGateway((files) => editRateLimits(files, unreachable));
    redis = await startRedis();
    const limitedRedis = await startGateway(() => redisStoreFiles(t.spec.keycloak.publicUrl, redis!.port, "deny", unreachable), { [RATE_LIMIT_PASSWORD_ENV]: redis.password });
    const unlogged = await startGateway((files) =>
      editApisixRules(files, (rules) => {
        rules.global_rules = rules.global_rules.filter((g: { plugins: Record<string, unknown> }) => !g.plugins[DECISIONS_PLUGIN]);
      }),
    );
    const variants = [
      { key: "a", label: "(a) public route, no auth", target: gateway.http, path: "/api/public", headers: {} },
      { key: "b", label: "(b) auth chain, valid token", target: gateway.http, path: "/api/orders/bench", headers: auth },
      { key: "c", label: "(c) auth chain, no verification cache at all", target: noCache.http, path: "/api/orders/bench", headers: auth },
      { key: "d", label: "(d) auth chain + rate limit, local counters", target: limitedLocal.http, path: "/api/limited/bench", headers: auth },
      { key: "e", label: "(e) auth chain + rate limit, Redis counters", target: limitedRedis.http, path: "/api/limited/bench", headers: auth },
      { key: "f", label: "(f) public route, no decision log", target: unlogged.http, path: "/api/public", headers: {} },
      { key: "g", label: "(g) auth chain, fast path off", target: noFastPath.http, path: "/api/orders/bench", headers: auth },
    ];
    if (pin) {
      for (const g of [gateway, noFastPath, noCache, limitedLocal, limitedRedis, unlogged]) await pinListeners(g.http.port, pin.gatewayCpu);
      // The topology's own gateway (idle here), the upstreams, Redis and this process (the identity provider).
      for (const port of [t.gateway.http.port, t.echo.address.port, t.impostor.address.port, redis.port]) await pinListeners(port, pin.loadCpus);
      await run("taskset", ["-a", "-p", "-c", pin.loadCpus, String(process.pid)]);
    }
    for (const v of variants) await wrk(v.target, v.path, v.headers, 1, connections, pin); // warm-up: keys fetched, connections open

    // Interleaved rounds over some variants at some connection count; identity
    // provider requests during (b) are counted, whichever pass runs it.
    let idpDuringAuth = 0;
    const interleaved = async (chosen: typeof variants, conns: number) => {
      const out: Record<string, WrkResult[]> = Object.fromEntries(chosen.map((v) => [v.key, []]));
      for (let r = 0; r < rounds; r++) {
        for (const v of chosen) {
          const before = idpRequests(t);
          out[v.key].push(await wrk(v.target, v.path, v.headers, seconds, conns, pin));
          if (v.key === "b") idpDuringAuth += idpRequests(t) - before;
        }
      }
      return out;
    };
    const results = await interleaved(variants, connections);
    // The latency the chain adds, where requests do not queue: one connection,
    // (a) and (b) interleaved. At 32 connections on shared cores p99 is mostly
    // the queue (it grows with any throughput loss and with whatever else runs).
    const unloaded = await interleaved(variants.filter((v) => v.key === "a" || v.key === "b"), 1);
    // Positive control: an unknown kid makes the gateway refetch the JWKS, which the counter must see.
    const beforeControl = idpRequests(t);
    const control = await fetch(`http://${gateway.http.host}:${gateway.http.port}/api/orders/bench`, { headers: { authorization: `Bearer ${await unknownKidToken(t)}` } });
    const controlCounted = control.status === 401 && idpRequests(t) > beforeControl;

    const medians = (all: Record<string, WrkResult[]>) =>
      Object.fromEntries(Object.entries(all).map(([k, rs]) => [k, { rps: median(rs.map((x) => x.rps)), p50: median(rs.map((x) => x.p50)), p99: median(rs.map((x) => x.p99)), errors: rs.reduce((s, x) => s + x.errors, 0) }])) as Record<string, WrkResult>;
    const med = medians(results);
    const one = medians(unloaded);
    // Per round, (b) runs right after (a): the median of their per-round ratios
    // cancels the machine's drift between rounds (shared cores), which a ratio of
    // medians taken rounds apart does not.
    const ratio = median(results.b.map((b, r) => b.rps / results.a[r].rps));
    const addedP99 = one.b.p99 - one.a.p99;
    const addedP99Loaded = med.b.p99 - med.a.p99;
    const lines = [
      `machine: ${machine()}; gateway: APISIX 3.18.0 ${runtime.kind}; wrk -t1 -c${connections}, ${rounds} rounds x ${seconds} s per variant, interleaved, medians; ${arrangement}`,
      "",
      "| variant | req/s | p50 ms | p99 ms | errors |",
      "|---|---|---|---|---|",
      ...variants.map((v) => `| ${v.label} | ${med[v.key].rps.toFixed(0)} | ${med[v.key].p50.toFixed(2)} | ${med[v.key].p99.toFixed(2)} | ${med[v.key].errors} |`),
      "",
      `- throughput ratio b/a (median of the rounds' ratios: ${results.b.map((b, r) => (b.rps / results.a[r].rps).toFixed(3)).join(", ")}): ${ratio.toFixed(3)} (target >= 0.90: ${ratio >= 0.9 ? "met" : "NOT met"})`,
      `- throughput ratio c/a: ${(med.c.rps / med.a.rps).toFixed(3)} (verification caching is worth ${(med.b.rps / med.c.rps).toFixed(2)}x)`,
      `- the fast path: b/g ${(med.b.rps / med.g.rps).toFixed(3)} (the chain with openid-connect on every request keeps g/a ${(med.g.rps / med.a.rps).toFixed(3)})`,
      `- added p99 b - a, one connection: ${addedP99.toFixed(2)} ms (target <= 0.5 ms: ${addedP99 <= 0.5 ? "met" : "NOT met"}); (a) p50 ${one.a.p50.toFixed(2)} / p99 ${one.a.p99.toFixed(2)} ms, (b) p50 ${one.b.p50.toFixed(2)} / p99 ${one.b.p99.toFixed(2)} ms`,
      `- added p99 b - a at ${connections} connections: ${addedP99Loaded.toFixed(2)} ms (mostly queueing: see the table)`,
      `- decision log: the public route keeps ${(med.a.rps / med.f.rps).toFixed(3)} of its throughput with it (a/f)`,
      `- rate limiting: local counters d/b ${(med.d.rps / med.b.rps).toFixed(3)}, Redis counters e/b ${(med.e.rps / med.b.rps).toFixed(3)} of the unlimited chain's throughput`,
      `- identity provider requests during (b): ${idpDuringAuth} (target 0); positive control (unknown kid refetches the JWKS): ${controlCounted ? "counted" : "NOT counted"}`,
    ];
    const summary = `gateway bench: auth/no-auth throughput ratio ${ratio.toFixed(3)}, added p99 ${addedP99.toFixed(2)} ms, IdP calls during auth run ${idpDuringAuth}; added p99 at ${connections} connections ${addedP99Loaded.toFixed(2)} ms; limited local ${med.d.rps.toFixed(0)} req/s, Redis ${med.e.rps.toFixed(0)} req/s`;
    const dir = join(PROJECT_ROOT, "out", "bench");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "gateway.md"), `# Gateway benchmark\n\n${lines.join("\n")}\n\n${summary}\n`);
    console.log(lines.join("\n"));
    console.log(`\nwritten to out/bench/gateway.md`);
    if (!controlCounted || idpDuringAuth !== 0 || [...Object.values(med), ...Object.values(one)].some((m) => m.errors > 0)) process.exitCode = 1;
    console.log(summary);
  } finally {
    await t.stop();
    await redis?.stop();
  }
}

/** A token signed by the realm-published test key but naming a kid nobody has. */
async function unknownKidToken(t: GatewayTopology): Promise<string> {
  const { SignJWT, importPKCS8 } = await import("jose");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "bench", aud: t.spec.clients.gateway.clientId, iss: t.idp.issuer, iat: now, exp: now + 60 })
    .setProtectedHeader({ alg: "RS256", kid: `unknown-${now}` })
    .sign(await importPKCS8(t.idp.testKey.privateKeyPem, "RS256"));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
