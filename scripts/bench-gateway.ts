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
 *   (m) the public route carrying (b)'s Authorization header: what the
 *       header alone costs, auth aside (b/a counts it; b/m does not);
 *   (c) the same chain with no verification cache at all (no fast path, no
 *       jwt_verification dict): every request's signature is checked;
 *   (d) the chain on a rate-limited route, counters local (limit set high
 *       enough never to refuse: this measures the counting, not 429s);
 *   (e) the same with the counters in Redis (a local redis-server);
 *   (f) the public route on a gateway without the decision log (its cost: a/f);
 *   (g) the chain with the fast path off: openid-connect runs on every
 *       request (the fast path's worth: b/g);
 *   (h) many users: 10,000 distinct valid tokens rotating, five times what a
 *       worker remembers (the shared level's worth: h/a, target 0.85);
 *   (j) its control: one valid token through the same rotating wrk script
 *       (what the script itself costs: j/a against b/a);
 *   (k) (h)'s load on a gateway whose worker level holds all 10,000 tokens
 *       (what sizing `gateway.verifiedTokenCacheSize` to the users gives);
 *   (i) under attack: every other request carries a forged token (a bad
 *       signature under the realm's kid, or an unknown kid; 20,000 rotating,
 *       so none is one the gateway remembers); valid answers per second
 *       against the unattacked (b) (target 0.8);
 *   (l) its floor: the chain's route without a token, the cheapest refusal
 *       there is (401 from the key guard): in a 1:1 mix no refusal costs
 *       less, so (i) can keep at most 1 / (1 + cost of (l) / cost of (b));
 *   (r) one forged token replayed: the key guard remembers a header whose
 *       signature failed, so a replay skips the RS256 verification;
 *   (x) as (i), the known-kid forgeries crafted to hash alike in LuaJIT (one
 *       signature, three characters varied at one of four places in its
 *       middle; OpenResty's luajit2 hashes a long string from a few sampled
 *       bytes): valid answers against (i)'s (bench:string-hash, the key
 *       guard's forged-header memory);
 *   (n) the public route, each request carrying 16 new header names of 1 KB
 *       varied in their middle bytes (hashing alike): what the runtime's own
 *       interning of headers costs under such a flood, against
 *   (o) its control, the same names varied in their last bytes.
 * Every variant writes the decision log (a file per gateway). Runs are
 * bounded (seconds x rounds x 17), interleaved a, b, m, c..l, r, x, n, o per round;
 * medians are reported, and b/a is the median of the rounds' ratios. Requests that reached the identity provider during
 * (b) are counted at the provider (only the key guard's scheduled JWKS refreshes, never per request); a positive
 * control (a token under an unknown kid) proves the counter counts.
 * Pinned, the three targets are also measured paired, (a) with (b), (a) with (h), (b) with (i), and (h) against
 * its control (j), the same script with one token (what serving many users costs): both sides at
 * once, on `gateway` and an identical twin sharing its CPU, the two swapping sides every round (an even number
 * of rounds; pairedRatio): the VM's drift, which moves sequential rounds by up to a third here, then hits both
 * sides alike. Each swapped pair after the first runs on new worker processes (native: nginx reloaded), since one
 * process of the same code can cost more than another by chance (LuaJIT's blacklist). A ratio target counts as met
 * only when its paired figure meets it too (ratioTargetMet): the sequential median alone has read "met" on noise.
 * Then (a) and (b) again on one connection, interleaved: the p99 the chain
 * adds where requests do not queue (the summary's "added p99"; the one at
 * full load is printed too, but at 32 connections on shared cores it is
 * mostly the queue).
 * Pinned (the default on a native gateway with 2+ CPUs and taskset): every
 * gateway runs one worker on the last CPU, and wrk, the upstream, Redis and
 * the identity provider (this process) share the others, so the ratios are
 * the gateway's own CPU per request rather than how the scheduler shared the
 * cores with the load generator. `--no-pin` runs everything unpinned with
 * the test host's two workers.
 * Each measured run also reads the gateway's own CPU time (/proc, its nginx
 * processes): CPU per request is the gateway's cost whoever was the limit, and
 * "busy" says whether it was (under 1.0 core pinned, the load side was).
 * Writes out/bench/gateway.md; the last line printed is the summary. Exits
 * non-zero when a run errs, the IdP counter or its control fails, or a target
 * (TARGETS: b/a, added p99, many users, under attack) is missed.
 */
import { execFile, spawnSync } from "node:child_process";
import { createSign, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { chooseGatewayRuntime, startGatewayTopology, type GatewayTopology } from "../test/integration/support/gateway-topology";
import { editApisixRules, type Address, type RunningGateway } from "../test/integration/support/gateway-runtime";
import { startNginxUpstream } from "../test/integration/support/nginx-upstream";
import { APISIX_YAML_OPTIONS, DECISIONS_PLUGIN, KEY_GUARD_PLUGIN, RATE_LIMIT_PASSWORD_ENV, projectPluginFiles } from "../components/gateway";
import { editRateLimits, redisStoreFiles, startRedis, type RunningRedis } from "../test/integration/support/redis";
import { clientCredentialsToken } from "../test/integration/support/tokens";
import type { RawAccessSpec } from "../components/access-spec";
import { PROJECT_ROOT } from "./lib/run-stack";
import { machine, numberArg as arg } from "./lib/run-facts";

const run = promisify(execFile);

/** Where the gateway and the load run: `gatewayCpu` alone for the gateway, `loadCpus` (a taskset list) for the rest. */
export interface Pinning {
  gatewayCpu: number;
  loadCpus: string;
}

/** Pinning, or why not: it needs a native gateway, 2+ CPUs, taskset and ss. */
export function choosePinning(runtime: string, cpuCount: number, wanted: boolean): Pinning | { reason: string } {
  if (!wanted) return { reason: "--no-pin" };
  if (runtime !== "native") return { reason: `the ${runtime} gateway is not pinned` };
  if (cpuCount < 2) return { reason: "one CPU" };
  if (spawnSync("sh", ["-c", "command -v taskset && command -v ss"]).status !== 0) return { reason: "taskset or ss is not on PATH" };
  return { gatewayCpu: cpuCount - 1, loadCpus: cpuCount === 2 ? "0" : `0-${cpuCount - 2}` };
}

/** Pins every process listening on `port` (an nginx master and its workers, redis-server), and its threads. */
export async function pinListeners(port: number, cpus: string | number): Promise<void> {
  const pids = await listeners(port);
  if (pids.length === 0) throw new Error(`nothing listens on ${port} to pin`);
  for (const pid of pids) await run("taskset", ["-a", "-p", "-c", String(cpus), pid]);
}

/** The pids of every process listening on `port` (an nginx master and its workers). */
async function listeners(port: number): Promise<string[]> {
  const { stdout } = await run("ss", ["-ltnpH", `sport = :${port}`]);
  return [...new Set([...stdout.matchAll(/pid=(\d+)/g)].map((m) => m[1]))];
}

const CLOCK_TICKS = 100; // USER_HZ, what /proc/<pid>/stat counts in on Linux

/** CPU seconds (user + system) the processes listening on `port` have used; undefined where /proc is not there. */
export async function cpuSecondsOf(port: number): Promise<number | undefined> {
  if (!existsSync("/proc/self/stat")) return undefined;
  let ticks = 0;
  for (const pid of await listeners(port)) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
}

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Under a script that counts them: 200 answers per second. */ okRps?: number;
  /** The gateway's own CPU (its nginx processes, user + system) per request, in microseconds. */ cpuUsPerRequest?: number;
  /** The gateway's CPU seconds per second of the run: 1.0 is one core kept busy. */ cpuBusy?: number;
}

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
  const ok = /^valid_ok: (\d+)\s+duration_us: (\d+)$/m.exec(out);
  return {
    rps: Number(rps[1]),
    p50: pct("50"),
    p99: pct("99"),
    errors: non2xx + socketErrors,
    ...(ok ? { okRps: Number(ok[1]) / (Number(ok[2]) / 1e6) } : {}),
  };
}

export async function wrk(
  target: Address,
  path: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
  pin?: Pinning,
  script?: string,
): Promise<WrkResult> {
  const h = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const command = [
    "wrk",
    "-t1",
    `-c${connections}`,
    `-d${seconds}s`,
    "--latency",
    ...(script ? ["-s", script] : []),
    ...h,
    `http://${target.host}:${target.port}${path}`,
  ];
  const [file, ...args] = pin ? ["taskset", "-c", pin.loadCpus, ...command] : command;
  const { stdout } = await run(file, args, { timeout: (seconds + 30) * 1000 });
  return parseWrk(stdout);
}

/** A CPU figure, or "-" where /proc gave none (undefined, or NaN computed from one). */
const cpuCell = (value: number | undefined, digits: number) => (value === undefined || Number.isNaN(value) ? "-" : value.toFixed(digits));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** New worker processes for each gateway (nginx reloaded, the same plugins), where the runtime can: else undefined. */
export function freshWorkers(gateways: RunningGateway[]): (() => Promise<void>) | undefined {
  if (!gateways.every((g) => g.reloadPlugins)) return undefined;
  return async () => {
    for (const g of gateways) await g.reloadPlugins!(projectPluginFiles());
  };
}

/**
 * A ratio measured in paired rounds: both sides at once on two identical gateways sharing one CPU (so the machine's
 * drift, which moves sequential rounds by a third here, hits both alike), the gateways swapping sides every round.
 * Two processes of one gateway differ by themselves (their JIT traces, their memory: up to 14 % in a scratch run
 * with the same load on both), and that difference multiplies alternate rounds by k and 1/k: the geometric mean over
 * an even number of rounds cancels it.
 */
export function pairedRatio(perRound: number[]): number {
  if (perRound.length === 0 || perRound.length % 2 !== 0) throw new Error(`paired rounds come in swapped pairs: got ${perRound.length}`);
  if (perRound.some((x) => !(x > 0))) throw new Error(`a paired round's ratio must be positive: got ${perRound.join(", ")}`);
  return Math.exp(perRound.reduce((sum, x) => sum + Math.log(x), 0) / perRound.length);
}

/**
 * The median of the swapped pairs' geometric means (rounds 1-2, 3-4, ...): what pairedRatio says, but a round the
 * VM disturbed on one side only moves its own pair, not the figure.
 */
export function pairedMedian(perRound: number[]): number {
  pairedRatio(perRound); // the same checks
  const pairs = Array.from({ length: perRound.length / 2 }, (_, i) => Math.sqrt(perRound[2 * i] * perRound[2 * i + 1])).sort((x, y) => x - y);
  const mid = pairs.length / 2;
  return pairs.length % 2 ? pairs[Math.floor(mid)] : Math.sqrt(pairs[mid - 1] * pairs[mid]);
}

/**
 * Whether a ratio meets its goal: the sequential median must, and so must the paired figure where it was measured.
 * The sequential rounds on this kind of VM swing by a third and more (b/a from 0.57 to 1.12 in one run), so a
 * sequential median alone can read "met" on noise; the paired figure, whose rounds the drift hits on both sides,
 * is the one that can refuse it.
 */
export function ratioTargetMet(sequential: number, paired: number | undefined, goal: number): boolean {
  if (!Number.isFinite(sequential)) throw new Error(`a sequential ratio must be a number: got ${sequential}`);
  if (paired !== undefined && !Number.isFinite(paired)) throw new Error(`a paired ratio must be a number: got ${paired}`);
  return sequential >= goal && (paired === undefined || paired >= goal);
}

/** Gateway files whose config.yaml runs one nginx worker: pinned, a gateway's CPU is its own. */
export function withOneWorker(files: Record<string, string>): Record<string, string> {
  const config = parse(files["config.yaml"]);
  config.nginx_config.worker_processes = 1;
  return { ...files, "config.yaml": stringify(config, APISIX_YAML_OPTIONS) };
}

/** A new access token of the topology's caller-viewer client on each call (client credentials). */
export function viewerTokens(t: GatewayTopology): () => Promise<string> {
  const viewer = t.idp.model.clients.find((c) => c.clientId === "caller-viewer")!;
  return () => clientCredentialsToken({ baseUrl: new URL(t.idp.issuer).origin, realm: t.spec.realm.name }, viewer.clientId, viewer.secret!);
}

/**
 * The suite shortens the JWKS cache (30 s) and the unknown-kid refetch (2 s) so its rotation checks finish in
 * minutes; the bench measures what a stack gets by default (300 s and 10 s), as a steady state is what it counts.
 */
export const withDefaultKeyTimings = (raw: RawAccessSpec) => {
  const { jwksCacheSeconds: _jwks, unknownKeyRefetchSeconds: _refetch, ...gateway } = raw.gateway as Record<string, unknown>;
  raw.gateway = gateway;
};

/** Requests the identity provider served, except token requests (the bench's own). */
const idpRequests = (t: GatewayTopology) => [...t.idp.calls].filter(([e]) => e !== "token").reduce((s, [, n]) => s + n, 0);

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
    : `not pinned (${"reason" in chosen ? chosen.reason : ""}): two workers (the test host's), all processes on all CPUs`;

  const t = await startGatewayTopology(runtime.start!, { service: startNginxUpstream, editSpec: withDefaultKeyTimings });
  let redis: RunningRedis | undefined;
  try {
    // Pinned, every gateway runs one worker (its CPU is its own).
    const startGateway = (edit: (files: Record<string, string>) => Record<string, string> = (f) => f, env?: Record<string, string>) =>
      t.startGateway((files) => (pin ? withOneWorker(edit(files)) : edit(files)), env);
    // A token lives the realm's 5 minutes: renewed every round, so a long run never sends an expired one.
    const newToken = viewerTokens(t);
    let token = await newToken();
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
    const limitedRedis = await startGateway(() => redisStoreFiles(t.spec.keycloak.publicUrl, redis!.port, "deny", unreachable), {
      [RATE_LIMIT_PASSWORD_ENV]: redis.password,
    });
    // (k): (h)'s load on a gateway whose worker level holds every one of its users.
    const sizedToUsers = await startGateway((files) =>
      editApisixRules(files, (rules) => {
        for (const route of rules.routes) if (route.plugins?.[KEY_GUARD_PLUGIN]) route.plugins[KEY_GUARD_PLUGIN].verified_tokens.size = MANY_USERS;
      }),
    );
    const unlogged = await startGateway((files) =>
      editApisixRules(files, (rules) => {
        rules.global_rules = rules.global_rules.filter((g: { plugins: Record<string, unknown> }) => !g.plugins[DECISIONS_PLUGIN]);
      }),
    );
    // The paired ratios: both sides at once, on `gateway` and this twin of it (pinned runs only).
    const twin = pin ? await startGateway() : undefined;
    // (h) more active users than a worker remembers; (i) valid traffic under a forged-token flood.
    const scripts = await loadScripts(t, () => token);
    const variants: Array<{ key: string; label: string; target: Address; path: string; headers: Record<string, string>; script?: () => Promise<string> }> = [
      { key: "a", label: "(a) public route, no auth", target: gateway.http, path: "/api/public", headers: {} },
      { key: "b", label: "(b) auth chain, valid token", target: gateway.http, path: "/api/orders/bench", headers: auth },
      { key: "m", label: "(m) public route, carrying (b)'s token (what the header alone costs)", target: gateway.http, path: "/api/public", headers: auth },
      { key: "c", label: "(c) auth chain, no verification cache at all", target: noCache.http, path: "/api/orders/bench", headers: auth },
      { key: "d", label: "(d) auth chain + rate limit, local counters", target: limitedLocal.http, path: "/api/limited/bench", headers: auth },
      { key: "e", label: "(e) auth chain + rate limit, Redis counters", target: limitedRedis.http, path: "/api/limited/bench", headers: auth },
      { key: "f", label: "(f) public route, no decision log", target: unlogged.http, path: "/api/public", headers: {} },
      { key: "g", label: "(g) auth chain, fast path off", target: noFastPath.http, path: "/api/orders/bench", headers: auth },
      {
        key: "h",
        label: `(h) auth chain, ${MANY_USERS} distinct valid tokens rotating`,
        target: gateway.http,
        path: "/api/orders/bench",
        headers: {},
        script: scripts.manyUsers,
      },
      {
        key: "j",
        label: "(j) control for (h): one valid token, sent through (h)'s rotating wrk script",
        target: gateway.http,
        path: "/api/orders/bench",
        headers: {},
        script: scripts.oneUser,
      },
      {
        key: "k",
        label: `(k) as (h), the worker level sized to ${MANY_USERS} tokens`,
        target: sizedToUsers.http,
        path: "/api/orders/bench",
        headers: {},
        script: scripts.manyUsers,
      },
      {
        key: "i",
        label: "(i) auth chain, valid token, every other request forged (bad signature under the realm's kid, or an unknown kid)",
        target: gateway.http,
        path: "/api/orders/bench",
        headers: {},
        script: scripts.underAttack,
      },
      { key: "l", label: "(l) auth chain's route, no token (the cheapest refusal)", target: gateway.http, path: "/api/orders/bench", headers: {} },
      {
        key: "r",
        label: "(r) auth chain's route, one forged token replayed (a bad signature under the realm's kid)",
        target: gateway.http,
        path: "/api/orders/bench",
        headers: {},
        script: scripts.replayed,
      },
      {
        key: "x",
        label: "(x) as (i), the known-kid forgeries crafted to hash alike (one signature varied in middle bytes)",
        target: gateway.http,
        path: "/api/orders/bench",
        headers: {},
        script: scripts.underCraftedAttack,
      },
      {
        key: "n",
        label: "(n) public route, 16 new 1 KB header names per request, varied in middle bytes (hashing alike)",
        target: gateway.http,
        path: "/api/public",
        headers: {},
        script: async () => scripts.headerNames.middle,
      },
      {
        key: "o",
        label: "(o) control for (n): the same names varied in their last bytes",
        target: gateway.http,
        path: "/api/public",
        headers: {},
        script: async () => scripts.headerNames.end,
      },
    ];
    if (pin) {
      for (const g of [gateway, noFastPath, noCache, limitedLocal, limitedRedis, unlogged, sizedToUsers, twin!])
        await pinListeners(g.http.port, pin.gatewayCpu);
      // The topology's own gateway (idle here), the upstreams, Redis and this process (the identity provider).
      for (const port of [t.gateway.http.port, t.echo.address.port, t.impostor.address.port, redis.port]) await pinListeners(port, pin.loadCpus);
      await run("taskset", ["-a", "-p", "-c", pin.loadCpus, String(process.pid)]);
    }
    for (const v of variants) await wrk(v.target, v.path, v.headers, 1, connections, pin, await v.script?.()); // warm-up: keys fetched, connections open

    // Interleaved rounds over some variants at some connection count; every variant's identity provider
    // requests are counted by endpoint ("b: jwks 4 + discovery 1"), whichever pass runs it: where a refresh landed.
    const idpByVariant = new Map<string, Map<string, number>>();
    const addIdp = (key: string, before: Map<string, number>) => {
      const mine = idpByVariant.get(key) ?? new Map<string, number>();
      for (const [e, n] of t.idp.calls) if (e !== "token" && n > (before.get(e) ?? 0)) mine.set(e, (mine.get(e) ?? 0) + n - (before.get(e) ?? 0));
      idpByVariant.set(key, mine);
    };
    const interleaved = async (chosen: typeof variants, conns: number) => {
      const out: Record<string, WrkResult[]> = Object.fromEntries(chosen.map((v) => [v.key, []]));
      for (let r = 0; r < rounds; r++) {
        token = await newToken();
        auth.authorization = `Bearer ${token}`;
        for (const v of chosen) {
          const script = await v.script?.();
          // (h), (k) measure users the gateway has seen (the steady state): each new batch of tokens is sent once first.
          // Long enough to verify every token once at (g)'s pace (about 1,000 a second here) with room to spare.
          if (scripts.unseenBy(v.key, script)) await wrk(v.target, v.path, v.headers, Math.max(20, seconds), conns, pin, script);
          const endpointsBefore = new Map(t.idp.calls);
          const cpuBefore = await cpuSecondsOf(v.target.port);
          const result = await wrk(v.target, v.path, v.headers, seconds, conns, pin, script);
          const cpuAfter = await cpuSecondsOf(v.target.port);
          if (cpuBefore !== undefined && cpuAfter !== undefined) {
            result.cpuUsPerRequest = ((cpuAfter - cpuBefore) * 1e6) / (result.rps * seconds);
            // Over the run's own seconds, not wrk's wall time: reading (x)'s tokens, made to hash alike,
            // takes wrk (on OpenResty's luajit2 too) about 2 s before it sends anything.
            result.cpuBusy = (cpuAfter - cpuBefore) / seconds;
          }
          out[v.key].push(result);
          addIdp(v.key, endpointsBefore);
        }
      }
      return out;
    };
    const results = await interleaved(variants, connections);
    // The three targets, and many users against its control, measured paired (pairedRatio): both sides at once on `gateway` and its twin, swapped every round.
    // A side's figure is what its wrk answered per second: all of them, or for (i) its valid ones.
    const byKey = (key: string) => variants.find((v) => v.key === key)!;
    const pairs = [
      { name: "b/a", first: byKey("a"), second: byKey("b") },
      { name: "many users h/a", first: byKey("a"), second: byKey("h") },
      // What serving 10,000 users costs against one user through the same script: the control that says where h/a's loss is.
      { name: "many users against one user h/j", first: byKey("j"), second: byKey("h") },
      { name: "under attack i/b (valid answers)", first: byKey("b"), second: byKey("i") },
    ];
    const served = (key: string, w: WrkResult) => (key === "i" ? (w.okRps ?? 0) : w.rps);
    const paired: Array<{ name: string; rounds: Array<{ rps: number; cpu: number }> }> = [];
    if (twin && pin) {
      const manyUsersScript = await scripts.manyUsers();
      for (const pair of pairs) {
        // A token of the realm's 5 minutes: renewed for each pair, which takes about a minute and a half.
        token = await newToken();
        auth.authorization = `Bearer ${token}`;
        const scriptOf = async (v: (typeof variants)[number]) => v.script?.();
        const [firstScript, secondScript] = [await scriptOf(pair.first), await scriptOf(pair.second)];
        // Both gateways see each side's load first: the token verified, (h)'s users remembered (at (g)'s pace, as above).
        const warmBoth = async (manyUsersSeconds: number) => {
          for (const g of [gateway, twin])
            for (const [v, script] of [
              [pair.first, firstScript],
              [pair.second, secondScript],
            ] as const)
              await wrk(g.http, v.path, v.headers, script === manyUsersScript ? manyUsersSeconds : 1, connections, pin, script);
        };
        await warmBoth(Math.max(20, seconds));
        const measured: Array<{ rps: number; cpu: number }> = [];
        // Each swapped pair after the first on new worker processes (the shared dicts stay): what one
        // process costs against another of the same code is chance (which traces LuaJIT blacklists,
        // docs/benchmarks.md), up to 1.23 times here, so the mean is over several draws, not one.
        const reload = freshWorkers([gateway, twin]);
        for (let r = 0; r < 2 * Math.ceil(rounds / 2); r++) {
          if (r > 0 && r % 2 === 0 && reload) {
            await reload();
            for (const g of [gateway, twin]) await pinListeners(g.http.port, pin.gatewayCpu);
            await warmBoth(3);
          }
          const [forFirst, forSecond] = r % 2 === 0 ? [gateway, twin] : [twin, gateway];
          const before = [await cpuSecondsOf(forFirst.http.port), await cpuSecondsOf(forSecond.http.port)];
          const [one, two] = await Promise.all([
            wrk(forFirst.http, pair.first.path, pair.first.headers, seconds, connections, pin, firstScript),
            wrk(forSecond.http, pair.second.path, pair.second.headers, seconds, connections, pin, secondScript),
          ]);
          const after = [await cpuSecondsOf(forFirst.http.port), await cpuSecondsOf(forSecond.http.port)];
          // CPU per answer the side's figure counts: for (i), a valid answer carries the forged one beside it.
          const cpuPer = (i: number, answers: number) => (after[i]! - before[i]!) / (answers * seconds);
          const [firstServed, secondServed] = [served(pair.first.key, one), served(pair.second.key, two)];
          measured.push({ rps: secondServed / firstServed, cpu: cpuPer(0, firstServed) / cpuPer(1, secondServed) });
          if (one.errors && pair.first.key !== "i") throw new Error(`paired ${pair.name}, round ${r}: ${one.errors} errors on (${pair.first.key})`);
          if (two.errors && pair.second.key !== "i") throw new Error(`paired ${pair.name}, round ${r}: ${two.errors} errors on (${pair.second.key})`);
        }
        paired.push({ name: pair.name, rounds: measured });
      }
    }
    // The latency the chain adds, where requests do not queue: one connection,
    // (a) and (b) interleaved. At 32 connections on shared cores p99 is mostly
    // the queue (it grows with any throughput loss and with whatever else runs).
    const unloaded = await interleaved(
      variants.filter((v) => v.key === "a" || v.key === "b"),
      1,
    );
    const idpDuring = (key: string) => [...(idpByVariant.get(key)?.values() ?? [])].reduce((sum, n) => sum + n, 0);
    const [idpDuringAuth, idpDuringAttack] = [idpDuring("b"), idpDuring("i")];
    // Positive control: an unknown kid makes the gateway refetch the JWKS, which the counter must see.
    const beforeControl = idpRequests(t);
    const control = await fetch(`http://${gateway.http.host}:${gateway.http.port}/api/orders/bench`, {
      headers: { authorization: `Bearer ${await unknownKidToken(t)}` },
    });
    const controlCounted = control.status === 401 && idpRequests(t) > beforeControl;

    const medians = (all: Record<string, WrkResult[]>) =>
      Object.fromEntries(
        Object.entries(all).map(([k, rs]) => [
          k,
          {
            rps: median(rs.map((x) => x.rps)),
            p50: median(rs.map((x) => x.p50)),
            p99: median(rs.map((x) => x.p99)),
            errors: rs.reduce((s, x) => s + x.errors, 0),
            ...(rs.every((x) => x.cpuUsPerRequest !== undefined)
              ? { cpuUsPerRequest: median(rs.map((x) => x.cpuUsPerRequest!)), cpuBusy: median(rs.map((x) => x.cpuBusy!)) }
              : {}),
          },
        ]),
      ) as Record<string, WrkResult>;
    const med = medians(results);
    // A variant's gateway CPU per request; NaN where /proc gave none (cpuCell prints "-").
    const cpu = (key: string) => med[key].cpuUsPerRequest ?? Number.NaN;
    const cpuRatio = (fast: string, slow: string) => cpuCell(cpu(fast) / cpu(slow), 3);
    // The most a 1:1 flood can keep of (b) when each refusal costs what (l) does.
    const floorByCpu = cpuCell(1 / (1 + cpu("l") / cpu("b")), 3);
    const floorByRps = (1 / (1 + med.b.rps / med.l.rps)).toFixed(3);
    const one = medians(unloaded);
    // Per round, (b) runs right after (a): the median of their per-round ratios
    // cancels the machine's drift between rounds (shared cores), which a ratio of
    // medians taken rounds apart does not.
    const perRound = (x: string, y: string) => results[x].map((xr, r) => xr.rps / results[y][r].rps);
    const roundRatio = (x: string, y: string) => median(perRound(x, y));
    const roundList = (x: string, y: string) =>
      perRound(x, y)
        .map((v) => v.toFixed(3))
        .join(", ");
    const ratio = roundRatio("b", "a");
    const manyUsers = roundRatio("h", "a");
    // Valid answers per second under the flood, against the unattacked chain's in the same round.
    const underAttack = median(results.i.map((i, r) => (i.okRps ?? 0) / results.b[r].rps));
    // The key guard refreshes the cached JWKS once per (ttl - margin) seconds of traffic, and refetches it once when a
    // window starts after the others' idle time outlived it: the IdP requests (b) may see, whatever its request rate.
    const ttl = Math.floor(t.spec.gateway.jwksCacheSeconds / 2);
    const refreshBound = rounds * (1 + Math.ceil(seconds / (ttl - Math.max(1, Math.floor(ttl / 4)))));
    const addedP99 = one.b.p99 - one.a.p99;
    const addedP99Loaded = med.b.p99 - med.a.p99;
    const unmet: string[] = [];
    const met = (ok: boolean) => (ok ? "met" : "NOT met");
    // A pinned run's paired figure (by throughput) for a target, undefined where none was measured.
    const pairedFigure = (name: string) => {
      const p = paired.find((x) => x.name === name);
      return p && pairedRatio(p.rounds.map((x) => x.rps));
    };
    const ratioMet = {
      authRatio: ratioTargetMet(ratio, pairedFigure("b/a"), TARGETS.authRatio),
      manyUsers: ratioTargetMet(manyUsers, pairedFigure("many users h/a"), TARGETS.manyUsers),
      underAttack: ratioTargetMet(underAttack, pairedFigure("under attack i/b (valid answers)"), TARGETS.underAttack),
    };
    const judgedBy = paired.length ? ", judged on the sequential median and the paired figure" : "";
    for (const [name, ok] of [
      ["b/a", ratioMet.authRatio],
      ["added p99", addedP99 <= TARGETS.addedP99Ms],
      ["many users", ratioMet.manyUsers],
      ["under attack", ratioMet.underAttack],
    ] as const)
      if (!ok) unmet.push(name);
    const lines = [
      `machine: ${machine()}; gateway: APISIX 3.18.0 ${runtime.kind}; wrk -t1 -c${connections}, ${rounds} rounds x ${seconds} s per variant, interleaved, medians; ${arrangement}`,
      "",
      "| variant | req/s | p50 ms | p99 ms | errors | gateway CPU µs/request | gateway busy (cores) |",
      "|---|---|---|---|---|---|---|",
      ...variants.map(
        (v) =>
          `| ${v.label} | ${med[v.key].rps.toFixed(0)} | ${med[v.key].p50.toFixed(2)} | ${med[v.key].p99.toFixed(2)} | ${med[v.key].errors} | ${cpuCell(med[v.key].cpuUsPerRequest, 1)} | ${cpuCell(med[v.key].cpuBusy, 2)} |`,
      ),
      "",
      `- throughput ratio b/a (median of the rounds' ratios: ${roundList("b", "a")}): ${ratio.toFixed(3)} (target >= ${TARGETS.authRatio}${judgedBy}: ${met(ratioMet.authRatio)})`,
      ...(paired.length
        ? paired.map(
            (p) =>
              `- ${p.name} paired (both sides at once on two identical gateways sharing CPU ${pin!.gatewayCpu}, sides swapped every round, geometric mean of ${p.rounds.length} rounds: the machine's drift cancels): ${pairedRatio(p.rounds.map((x) => x.rps)).toFixed(3)} by throughput (rounds: ${p.rounds.map((x) => x.rps.toFixed(3)).join(", ")}), ${pairedRatio(p.rounds.map((x) => x.cpu)).toFixed(3)} by gateway CPU per answer`,
          )
        : ["- paired ratios: not measured (they need the pinned arrangement)"]),
      `- the same as gateway CPU per request (the gateway's own cost, whoever was the limit): a/b ${cpuRatio("a", "b")}, a/h ${cpuRatio("a", "h")}, a/j ${cpuRatio("a", "j")}, a/k ${cpuRatio("a", "k")}; a variant whose gateway was busy well under ${pin ? "1.0 core" : "its cores"} was limited by the load side, not the gateway`,
      `- the token alone: (m), the public route carrying (b)'s Authorization header, keeps m/a ${roundRatio("m", "a").toFixed(3)} of (a) (rounds: ${roundList("m", "a")}; by CPU a/m ${cpuRatio("a", "m")}); the chain over carrying the token: b/m ${roundRatio("b", "m").toFixed(3)} (by CPU m/b ${cpuRatio("m", "b")})`,
      `- throughput ratio c/a: ${(med.c.rps / med.a.rps).toFixed(3)} (verification caching is worth ${(med.b.rps / med.c.rps).toFixed(2)}x)`,
      `- the fast path: b/g ${(med.b.rps / med.g.rps).toFixed(3)} (the chain with openid-connect on every request keeps g/a ${(med.g.rps / med.a.rps).toFixed(3)})`,
      `- added p99 b - a, one connection: ${addedP99.toFixed(2)} ms (target <= ${TARGETS.addedP99Ms} ms: ${met(addedP99 <= TARGETS.addedP99Ms)}); (a) p50 ${one.a.p50.toFixed(2)} / p99 ${one.a.p99.toFixed(2)} ms, (b) p50 ${one.b.p50.toFixed(2)} / p99 ${one.b.p99.toFixed(2)} ms`,
      `- added p99 b - a at ${connections} connections: ${addedP99Loaded.toFixed(2)} ms (mostly queueing: see the table)`,
      `- decision log: the public route keeps ${(med.a.rps / med.f.rps).toFixed(3)} of its throughput with it (a/f)`,
      `- rate limiting: local counters d/b ${(med.d.rps / med.b.rps).toFixed(3)}, Redis counters e/b ${(med.e.rps / med.b.rps).toFixed(3)} of the unlimited chain's throughput`,
      `- identity provider requests during (b): ${idpDuringAuth} (the scheduled JWKS refreshes allow ${refreshBound}: none per request); positive control (unknown kid refetches the JWKS): ${controlCounted ? "counted" : "NOT counted"}`,
      `- identity provider requests by variant, over every pass: ${
        [...idpByVariant]
          .filter(([, m]) => m.size)
          .map(([k, m]) => `${k} ${[...m].map(([e, n]) => `${e} ${n}`).join(" + ")}`)
          .join("; ") || "none"
      }`,
      `- many users: h/a ${manyUsers.toFixed(3)} (rounds: ${roundList("h", "a")}; target >= ${TARGETS.manyUsers}${judgedBy}: ${met(ratioMet.manyUsers)}); its control j/a ${roundRatio("j", "a").toFixed(3)} (the rotating script's own cost); with the worker level sized to the users k/a ${roundRatio("k", "a").toFixed(3)}`,
      `- the floor for (i): a token-less refusal (l) costs ${cpuRatio("l", "b")} of a valid request's gateway CPU (throughput ${(med.l.rps / med.b.rps).toFixed(2)}x (b)'s), so a 1:1 mix keeps at most ${floorByCpu} of (b) by CPU (${floorByRps} by throughput) whatever a forged token costs beyond it`,
      `- a replayed forgery (r) costs ${cpuCell(cpu("r"), 1)} µs of the gateway's CPU per request (the key guard remembers the header whose signature failed): ${cpuRatio("r", "b")} of a valid request's, against the cheapest refusal's (l) ${cpuRatio("l", "b")}`,
      `- crafted to hash alike (x): valid answers ${median(results.x.map((x) => x.okRps ?? 0)).toFixed(0)} req/s, x/i ${median(results.x.map((x, r) => (x.okRps ?? 0) / (results.i[r].okRps ?? Number.NaN))).toFixed(3)} of (i)'s (median of the rounds' ratios); by gateway CPU per request i/x ${cpuRatio("i", "x")}`,
      `- header names crafted to hash alike (n): ${cpuCell(cpu("n"), 1)} µs of the gateway's CPU per request, ${cpuCell(cpu("n") / cpu("o"), 2)} times its control's (o) ${cpuCell(cpu("o"), 1)} µs (the runtime interns every header name: docs/operations.md)`,
      `- under attack: valid answers ${median(results.i.map((i) => i.okRps ?? 0)).toFixed(0)} req/s of ${med.i.rps.toFixed(0)} in all, ${underAttack.toFixed(3)} of the unattacked (b) (target >= ${TARGETS.underAttack}${judgedBy}: ${met(ratioMet.underAttack)}); identity provider requests meanwhile: ${idpDuringAttack} (the unknown-kid refetch allows one per ${t.spec.gateway.unknownKeyRefetchSeconds} s); by gateway CPU, a valid and a forged request together cost ${cpuCell(2 * cpu("i"), 1)} µs (twice (i)'s mean), so the valid half keeps ${cpuCell(cpu("b") / (2 * cpu("i")), 3)} of (b)`,
    ];
    const summary = `gateway bench: auth/no-auth throughput ratio ${ratio.toFixed(3)}, added p99 ${addedP99.toFixed(2)} ms, IdP calls during auth run ${idpDuringAuth}; added p99 at ${connections} connections ${addedP99Loaded.toFixed(2)} ms; limited local ${med.d.rps.toFixed(0)} req/s, Redis ${med.e.rps.toFixed(0)} req/s; many users ratio ${manyUsers.toFixed(3)}; under attack ratio ${underAttack.toFixed(3)}`;
    const dir = join(PROJECT_ROOT, "out", "bench");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "gateway.md"), `# Gateway benchmark\n\n${lines.join("\n")}\n\n${summary}\n`);
    console.log(lines.join("\n"));
    console.log(`\nwritten to out/bench/gateway.md`);
    // (i)'s, (l)'s, (r)'s and (x)'s 401s are refusals asked for, not errors.
    const errored = [
      ...Object.entries(med)
        .filter(([k]) => !["i", "l", "r", "x"].includes(k))
        .map(([, m]) => m),
      ...Object.values(one),
    ].some((m) => m.errors > 0);
    // Exit 0 only when every target holds: the run is the check (issue 26's "done when").
    if (unmet.length) console.log(`targets NOT met: ${unmet.join(", ")}`);
    if (!controlCounted || idpDuringAuth > refreshBound || errored || unmet.length) process.exitCode = 1;
    console.log(summary);
  } finally {
    await t.stop();
    await redis?.stop();
  }
}

/** The goals the bench checks (issue 26); it exits non-zero when one is missed. */
const TARGETS = { authRatio: 0.95, addedP99Ms: 0.5, manyUsers: 0.85, underAttack: 0.8 } as const;

/** Active users in (h): five times what one worker remembers by default. */
export const MANY_USERS = 10_000;
/**
 * Forged tokens in (i)'s rotation: ten times the forged headers a worker's key
 * guard remembers (1,024 per realm), so every forged request of (i) is one the
 * gateway does not remember (a rotation longer than an LRU always misses it).
 * (r) measures the replay the memory answers.
 */
const FORGED = 20_000;

/** RS256 over header.payload with a PEM key (node:crypto: 10,000 tokens in seconds). */
export function signRs256(header: object, payload: object, privateKeyPem: string): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(privateKeyPem).toString("base64url")}`;
}

/** The claims of the bench's own tokens (a viewer of tenant acme), issued now for the realm's access-token lifespan. */
export function benchClaims(t: GatewayTopology) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: t.idp.issuer,
    aud: t.spec.clients.gateway.clientId,
    azp: "bench",
    iat: now,
    exp: now + t.spec.realm.tokens.accessTokenLifespan,
    realm_access: { roles: ["viewer"] },
    tenant_id: "acme",
  };
}

/**
 * wrk scripts for (h) and (i), with their token files. Tokens live the realm's
 * access-token lifespan (the gateway refuses longer ones), so a batch is
 * signed again when it is 4 minutes old.
 */
export async function loadScripts(t: GatewayTopology, validToken: () => string) {
  const dir = join(PROJECT_ROOT, "out", "bench");
  mkdirSync(dir, { recursive: true });
  const key = t.idp.testKey;
  const base = () => benchClaims(t);
  const lua = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  };
  // Each request is formatted once, before the run: wrk's own LuaJIT (OpenResty's luajit2 here) interns
  // every string it makes, and (x)'s tokens, made to hash alike, slowed wrk itself when formatted per request.
  const rotating = (tokensFile: string, extra = "") => `local requests = {}
function init(args)
  for line in io.lines("${tokensFile}") do
    requests[#requests + 1] = wrk.format(nil, nil, { Authorization = "Bearer " .. line })
  end
end
local i = 0
${extra}
request = function()
  i = i % #requests + 1
  return requests[i]
end
`;
  let signedAt = 0;
  let batch = 0;
  const sentBatch = new Map<string, number>();
  let forged: string[] = [];
  let crafted: string[] = [];
  let mixedFor = "";
  const fresh = async () => {
    if (mixedFor !== validToken() && forged.length > 0) writeMixed();
    if (Date.now() - signedAt < 240_000) return;
    const users = Array.from({ length: MANY_USERS }, (_, u) =>
      signRs256({ alg: "RS256", typ: "JWT", kid: key.kid }, { ...base(), sub: `user-${u}` }, key.privateKeyPem),
    );
    writeFileSync(join(dir, "many-users.tokens"), `${users.join("\n")}\n`);
    writeFileSync(join(dir, "one-user.tokens"), `${users.map(() => users[0]).join("\n")}\n`);
    // Every other request of (i): the valid token; the others forged, each one new to the gateway.
    forged = Array.from({ length: FORGED }, (_, f) => {
      const header = f % 2 ? { alg: "RS256", typ: "JWT", kid: `attacker-${f}` } : { alg: "RS256", typ: "JWT", kid: key.kid };
      const payload = Buffer.from(JSON.stringify({ ...base(), sub: `forged-${f}`, realm_access: { roles: ["admin"] } })).toString("base64url");
      return `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${payload}.${randomBytes(256).toString("base64url")}`;
    });
    crafted = forged.map((f, n) => (n % 2 ? f : hashingAlike(forged[0], n / 2)));
    writeMixed();
    writeFileSync(join(dir, "replayed.tokens"), `${forged[0]}\n`);
    signedAt = Date.now();
    batch += 1;
  };
  const writeMixed = () => {
    mixedFor = validToken();
    writeFileSync(join(dir, "under-attack.tokens"), `${forged.flatMap((f) => [mixedFor, f]).join("\n")}\n`);
    writeFileSync(join(dir, "under-crafted-attack.tokens"), `${crafted.flatMap((f) => [mixedFor, f]).join("\n")}\n`);
  };
  const counting = `ok = 0
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
response = function(status) if status == 200 then ok = ok + 1 end end
function done(summary)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("ok") end
  io.write(string.format("valid_ok: %d\\nduration_us: %d\\n", total, summary.duration))
end`;
  const manyUsersScript = lua("many-users.lua", rotating(join(dir, "many-users.tokens")));
  const oneUserScript = lua("one-user.lua", rotating(join(dir, "one-user.tokens")));
  const underAttackScript = lua("under-attack.lua", rotating(join(dir, "under-attack.tokens"), counting));
  const replayedScript = lua("replayed.lua", rotating(join(dir, "replayed.tokens")));
  const underCraftedAttackScript = lua("under-crafted-attack.lua", rotating(join(dir, "under-crafted-attack.tokens"), counting));
  const headerNames = { middle: lua("names-middle.lua", headerNamesScript(true)), end: lua("names-end.lua", headerNamesScript(false)) };
  return {
    manyUsers: async () => (await fresh(), manyUsersScript),
    oneUser: async () => (await fresh(), oneUserScript),
    underAttack: async () => (await fresh(), underAttackScript),
    /** One forged token (a bad signature under the realm's kid), sent again and again. */
    replayed: async () => (await fresh(), replayedScript),
    /** (i)'s mix, its known-kid forgeries all cut from one by hashingAlike. */
    underCraftedAttack: async () => (await fresh(), underCraftedAttackScript),
    headerNames,
    /** Whether a variant running the many-users script has not sent this batch of tokens yet (the bench then sends each once). */
    unseenBy: (variant: string, script: string | undefined) => {
      if (script !== manyUsersScript || sentBatch.get(variant) === batch) return false;
      sentBatch.set(variant, batch);
      return true;
    },
  };
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * The n-th variant of a forged token that LuaJIT hashes like the others:
 * three characters of its signature replaced at one of four places in its
 * middle. OpenResty's luajit2 hashes a string of 128+ bytes from its length,
 * its ends and a few 8-byte windows drawn per process, so variants at a place
 * no window covers all collide (an attacker does not know the places either,
 * hence four).
 */
export function hashingAlike(token: string, n: number): string {
  const signature = token.lastIndexOf(".") + 1;
  const length = token.length - signature;
  const at = signature + Math.floor((length * ((n % 4) + 1)) / 5);
  const k = Math.floor(n / 4);
  const chars = [0, 1, 2].map((d) => BASE64URL[Math.floor(k / 64 ** d) % 64]).join("");
  return token.slice(0, at) + chars + token.slice(at + 3);
}

/**
 * (n) and (o): 16 header names of 1 KB per request, each a new four-character
 * variant, placed at one of four places in its middle (hashing alike where no
 * sampled window covers the place, as hashingAlike) or at its end (hashed).
 */
const headerNamesScript = (middle: boolean) => `local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
local filler = ("X"):rep(1000)
local n = 0
request = function()
  local headers = {}
  for _ = 1, 16 do
    n = n + 1
    local v = ""
    for d = 0, 3 do
      local c = math.floor(n / 62 ^ d) % 62 + 1
      v = v .. chars:sub(c, c)
    end
    local at = ${middle ? "200 * (n % 4 + 1)" : "1000"}
    headers[filler:sub(1, at) .. v .. filler:sub(at + 1)] = "1"
  end
  return wrk.format(nil, nil, headers)
end
`;

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
