/**
 * npm run bench:instructions [-- --loads a,b,m,l --requests 3000 --rounds 3 --base REF --luajit-lib DIR]
 *
 * What a request costs the gateway's worker in instructions, counted by
 * valgrind's callgrind: a figure that does not move with the VM's noise,
 * where timing here moves by more than the changes worth making (a null run
 * of bench:lua-ab spreads over several per cent). One single-worker native
 * gateway of the suite's configuration runs under callgrind (nginx without a
 * master process, so callgrind_control reaches the process that serves); each
 * load is warmed, then `--requests` requests are counted, one after the other
 * on one connection, `--rounds` times. Loads: `a` the public route, `m` the
 * public route carrying a valid token, `b` the auth chain with that token,
 * `l` the chain's route without a token, `h` bench:gateway's many users
 * (10,000 valid tokens rotating, each verified once before counting) and
 * `j` its control (one of those tokens, the same way).
 *
 * Within one gateway process the count is usually steady to a few hundred
 * instructions a request, but two fresh processes of the same code differ by
 * up to 10 % (which traces LuaJIT compiles, and which it gives up, is partly
 * chance, as in timing: docs/benchmarks.md), so `--processes N` counts N
 * fresh processes per side, alternating with the base's.
 *
 * It prints instructions per request by load (the median of the rounds),
 * b/a by instructions, and the functions where each load exceeds the first
 * one listed. With `--base`
 * the plugins at that git ref run first, then the working tree's, and it
 * prints the change per load. Instructions are not time (cache misses, the
 * branch predictor): read them beside bench:lua-ab, which times the same.
 *
 * LuaJIT's garbage collector and trace compiler run in lumps, so a window
 * of requests holds more or less of them by chance. Debian's libluajit is
 * stripped; with `--luajit-lib` pointing at a directory holding a
 * libluajit-5.1.so.2 built with symbols from the same source
 * (scripts/luajit-with-symbols.sh), the table also splits those two out from
 * the rest, what the requests themselves ran. Native gateway, valgrind
 * (`apt-get install valgrind`).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectPluginFiles } from "../components/gateway";
import { chooseGatewayRuntime, startGatewayTopology, type GatewayTopology } from "../test/integration/support/gateway-topology";
import { timedRequest } from "../test/integration/support/http";
import { startNginxUpstream } from "../test/integration/support/nginx-upstream";
import { MANY_USERS, benchClaims, signRs256, viewerTokens, withDefaultKeyTimings, withOneWorker } from "./bench-gateway";
import { pluginFilesAt } from "./bench-lua-ab";
import { machine, numberArg, stringArg } from "./lib/run-facts";

const LOADS = ["a", "m", "b", "l", "h", "j"] as const;
/**
 * Tokens live 25 minutes in this bench's realm (the suite's 5 minutes are shorter
 * than a run under callgrind) and are replaced before a window when older than
 * this, within the fast path's 15-minute memory.
 */
const TOKEN_LIFESPAN = "25m";
const TOKENS_RENEWED_MS = 10 * 60_000;
type Load = (typeof LOADS)[number];

/** The instruction count a callgrind dump holds (its `totals:` line, else `summary:`). */
export function callgrindTotal(dump: string): number {
  const line = dump.match(/^totals:\s*(\d+)/m) ?? dump.match(/^summary:\s*(\d+)/m);
  if (!line) throw new Error("not a callgrind dump: no totals or summary line");
  return Number(line[1]);
}

/**
 * callgrind_annotate's per-function lines as function -> instructions. JIT
 * code has no symbol: its addresses are summed under one name per object.
 */
export function annotatedCosts(annotate: string): Map<string, number> {
  const costs = new Map<string, number>();
  for (const line of annotate.split("\n")) {
    const m = line.match(/^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(?:\*\s+)?(.+)$/);
    if (!m || m[2].includes("PROGRAM TOTALS")) continue;
    const name = m[2]
      .replace(/'\d+/g, "")
      .replace(/^\?\?\?:0x[0-9a-f]+ \[(.*)\]$/, (_all, object: string) => `??? [${object.split("/").pop()}]`)
      .replace(/ \[(\/[^\]]*)\]$/, (_all, object: string) => ` [${object.split("/").pop()}]`)
      .trim();
    costs.set(name, (costs.get(name) ?? 0) + Number(m[1].replace(/,/g, "")));
  }
  return costs;
}

/** LuaJIT's entry points into its collector and its trace compiler (named only where libluajit has symbols). */
const GC_ENTRIES = ["lj_gc_step", "lj_gc_step_jit", "lj_gc_step_fixtop", "lj_gc_fullgc"];
const COMPILER_ENTRIES = ["lj_trace_hot", "lj_trace_ins", "lj_record_ins"];

const inclusiveOf = (inclusive: Map<string, number>, entries: string[]) =>
  [...inclusive].filter(([name]) => entries.some((e) => new RegExp(`:${e} \\[`).test(name))).reduce((s, [, n]) => s + n, 0);

/** A window's instructions split into the collector's, the trace compiler's and the rest (null where libluajit has no symbols). */
export function costSplit(total: number, inclusive: Map<string, number>): { total: number; gc: number | null; compiler: number | null; rest: number | null } {
  const named = [...inclusive.keys()].some((n) => /:lj_gc_step/.test(n) || /:lj_str_new /.test(n));
  if (!named) return { total, gc: null, compiler: null, rest: null };
  const gc = inclusiveOf(inclusive, GC_ENTRIES);
  // The recorder calls itself through the VM; its outermost entry is what counts, so the largest of the three.
  const compiler = Math.max(...COMPILER_ENTRIES.map((e) => inclusiveOf(inclusive, [e])));
  return { total, gc, compiler, rest: total - gc - compiler };
}

/** Where `other` exceeds `base`, per request, largest differences first. */
export function costDeltas(base: Map<string, number>, baseRequests: number, other: Map<string, number>, otherRequests: number, count: number) {
  const names = new Set([...base.keys(), ...other.keys()]);
  return [...names]
    .map((name) => ({
      name,
      delta: (other.get(name) ?? 0) / otherRequests - (base.get(name) ?? 0) / baseRequests,
      other: (other.get(name) ?? 0) / otherRequests,
    }))
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta))
    .slice(0, count);
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request on `agent`'s kept-alive connection: its status (0 when it failed). */
const statusOf = async (agent: http.Agent, port: number, path: string, headers: Record<string, string>) =>
  (await timedRequest({ host: "127.0.0.1", port }, { path, headers: { host: "api.localtest.me", ...headers }, agent, timeoutMs: 60_000 })).status;

interface Counted {
  control: (...args: string[]) => string;
  dumps: string;
  stop: () => Promise<void>;
}

/**
 * The gateway's nginx, stopped and started again under callgrind: one process
 * that serves (no master), not counting until told. Its command and
 * environment are read from the running master, so it is the gateway the
 * suite's harness made, plugins and secrets included.
 */
async function underCallgrind(workerPid: number, port: number, luajitLib: string | undefined): Promise<Counted> {
  const master = Number(readFileSync(`/proc/${workerPid}/status`, "utf8").match(/PPid:\s+(\d+)/)![1]);
  const prefix = readlinkSync(`/proc/${master}/cwd`);
  const nginx = readlinkSync(`/proc/${master}/exe`);
  const environ = readFileSync(`/proc/${master}/environ`, "utf8").split("\0").filter(Boolean);
  const env = Object.fromEntries(environ.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  if (luajitLib) env.LD_LIBRARY_PATH = luajitLib;
  process.kill(master, "SIGQUIT");
  for (let i = 0; i < 200 && existsSync(join(prefix, "logs", "nginx.pid")); i++) await sleep(100);
  const conf = join(prefix, "conf", "nginx.conf");
  writeFileSync(conf, readFileSync(conf, "utf8").replace(/^master_process on;/m, "master_process off;\ndaemon off;"));
  const dumps = mkdtempSync(join(tmpdir(), "bench-instructions-"));
  const vgdb = `--vgdb-prefix=${join(dumps, "vgdb")}`;
  const child = spawn(
    "valgrind",
    ["--tool=callgrind", "--smc-check=all", "--instr-atstart=no", vgdb, `--callgrind-out-file=${join(dumps, "cg.out")}`, nginx, "-p", prefix, "-c", conf],
    { cwd: prefix, env, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr!.on("data", (d) => (log = (log + String(d)).slice(-4000)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx under callgrind exited: ${log}`);
    if (i > 600) throw new Error(`nginx under callgrind did not answer on ${port} within 5 minutes: ${log}`);
    if (await statusOf(agent, port, "/api/public", {})) break;
    await sleep(500);
  }
  agent.destroy();
  const control = (...args: string[]) =>
    execFileSync("callgrind_control", [vgdb, ...args, String(child.pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return {
    control,
    dumps,
    async stop() {
      child.kill("SIGQUIT");
      for (let i = 0; i < 100 && child.exitCode === null; i++) await sleep(100);
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dumps, { recursive: true, force: true });
    },
  };
}

interface Window {
  load: Load;
  /** Which gateway process of its side counted it (--processes). */
  process: number;
  split: ReturnType<typeof costSplit>;
  costs: Map<string, number>;
}

/** Each load warmed, then counted `rounds` times over `requests` requests. */
async function countLoads(
  t: GatewayTopology,
  plugins: Record<string, string> | undefined,
  loads: Load[],
  requests: number,
  rounds: number,
  luajitLib: string | undefined,
  processIndex: number,
) {
  const g = await t.startGateway(withOneWorker);
  if (plugins) await g.reloadPlugins!(plugins);
  const counted = await underCallgrind(g.workerPids!()[0], g.http.port, luajitLib);
  try {
    // Fresh tokens when the last ones are TOKENS_RENEWED_MS old, (h)'s each verified once before counting.
    const tokens = { viewer: "", users: [] as string[], at: 0 };
    const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
    const shapes: Record<Load, { path: string; headers: (i: number) => Record<string, string>; expected: number }> = {
      a: { path: "/api/public", headers: () => ({}), expected: 200 },
      m: { path: "/api/public", headers: () => bearer(tokens.viewer), expected: 200 },
      b: { path: "/api/orders/bench", headers: () => bearer(tokens.viewer), expected: 200 },
      l: { path: "/api/orders/bench", headers: () => ({}), expected: 401 },
      h: { path: "/api/orders/bench", headers: (i) => bearer(tokens.users[i % tokens.users.length]), expected: 200 },
      j: { path: "/api/orders/bench", headers: () => bearer(tokens.users[0]), expected: 200 },
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let sent = 0;
    const send = async (load: Load, count: number) => {
      const { path, headers, expected } = shapes[load];
      for (let i = 0; i < count; i++, sent++) {
        const status = await statusOf(agent, g.http.port, path, headers(sent));
        if (status !== expected) throw new Error(`load ${load}: ${path} answered ${status}, expected ${expected}`);
      }
    };
    const refresh = async () => {
      if (Date.now() - tokens.at < TOKENS_RENEWED_MS) return;
      tokens.at = Date.now();
      tokens.viewer = await viewerTokens(t)();
      if (!loads.some((l) => l === "h" || l === "j")) return;
      tokens.users = manyUsers(t);
      await send("h", tokens.users.length);
    };
    // Warmed until LuaJIT's traces settle: each load the way it is counted, interleaved.
    for (let i = 0; i < 3; i++) {
      await refresh();
      for (const load of loads) await send(load, requests);
    }
    const windows: Window[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const load of loads) {
        await refresh();
        counted.control("--zero");
        counted.control("--instr=on");
        await send(load, requests);
        counted.control("--instr=off");
        counted.control(`--dump=${load}${r}`);
        const dump = readdirSync(counted.dumps)
          .filter((f) => f.startsWith("cg.out."))
          .map((f) => ({ file: join(counted.dumps, f), text: readFileSync(join(counted.dumps, f), "utf8") }))
          .find((d) => d.text.includes(`Trigger: dump ${load}${r}\n`));
        if (!dump) throw new Error(`callgrind wrote no dump for ${load}${r}`);
        const file = dump.file;
        const annotate = (inclusive: boolean) =>
          annotatedCosts(
            execFileSync("callgrind_annotate", ["--threshold=100", `--inclusive=${inclusive ? "yes" : "no"}`, file], {
              encoding: "utf8",
              maxBuffer: 64 * 2 ** 20,
            }),
          );
        windows.push({ load, process: processIndex, split: costSplit(callgrindTotal(dump.text), annotate(true)), costs: annotate(false) });
        rmSync(file);
      }
    }
    agent.destroy();
    return windows;
  } finally {
    await counted.stop();
  }
}

/** (h)'s users: valid tokens of the realm's test key, one subject each. */
function manyUsers(t: GatewayTopology): string[] {
  const key = t.idp.testKey;
  return Array.from({ length: MANY_USERS }, (_, u) =>
    signRs256({ alg: "RS256", typ: "JWT", kid: key.kid }, { ...benchClaims(t), sub: `user-${u}` }, key.privateKeyPem),
  );
}

type Row = { total: number; gc: number | null; compiler: number | null; rest: number | null };

/** Median instructions per request by load, over the rounds. */
function perRequest(windows: Window[], load: Load, requests: number): Row {
  const of = windows.filter((w) => w.load === load).map((w) => w.split);
  const med = (k: keyof Row) => (of.every((s) => s[k] !== null) ? median(of.map((s) => s[k] as number)) / requests : null);
  return { total: med("total")!, gc: med("gc"), compiler: med("compiler"), rest: med("rest") };
}

const k = (n: number | null) => (n === null ? "-" : `${(n / 1000).toFixed(1)}k`);

function printTable(title: string, windows: Window[], loads: Load[], requests: number) {
  console.log(
    `\n${title}\n\n| load | instructions/request | collector | trace compiler | the rest | rounds: total (the rest); processes apart |\n|---|---|---|---|---|---|`,
  );
  for (const load of loads) {
    const row = perRequest(windows, load, requests);
    const of = windows.filter((w) => w.load === load);
    const processes = [...new Set(of.map((w) => w.process))].map((p) =>
      of
        .filter((w) => w.process === p)
        .map((w) => `${k(w.split.total / requests)}${w.split.rest === null ? "" : ` (${k(w.split.rest / requests)})`}`)
        .join(", "),
    );
    console.log(`| ${load} | ${k(row.total)} | ${k(row.gc)} | ${k(row.compiler)} | ${k(row.rest)} | ${processes.join("; ")} |`);
  }
}

function summed(windows: Window[], load: Load): Map<string, number> {
  const sum = new Map<string, number>();
  for (const w of windows.filter((x) => x.load === load)) for (const [name, n] of w.costs) sum.set(name, (sum.get(name) ?? 0) + n);
  return sum;
}

async function main(): Promise<void> {
  const loads = stringArg("loads", "a,m,b,l").split(",") as Load[];
  for (const load of loads) if (!LOADS.includes(load)) throw new Error(`--loads takes ${LOADS.join(", ")}, got ${load}`);
  const requests = numberArg("requests", 3000);
  const rounds = numberArg("rounds", 3);
  const processes = numberArg("processes", 1);
  const base = process.argv.includes("--base") ? stringArg("base", "HEAD") : undefined;
  const luajitLib = process.argv.includes("--luajit-lib") ? stringArg("luajit-lib", "") : undefined;
  if (luajitLib && !existsSync(join(luajitLib, "libluajit-5.1.so.2"))) throw new Error(`--luajit-lib ${luajitLib}: no libluajit-5.1.so.2 there`);
  if (spawnSync("valgrind", ["--version"]).error) throw new Error("valgrind is not installed: apt-get install valgrind");
  const runtime = await chooseGatewayRuntime();
  if (runtime.kind !== "native") throw new Error(`bench:instructions needs the native gateway: ${"reason" in runtime ? runtime.reason : runtime.kind}`);

  const t = await startGatewayTopology(runtime.start!, {
    service: startNginxUpstream,
    editSpec: (raw) => {
      withDefaultKeyTimings(raw);
      const realm = raw.realm as { tokens?: Record<string, unknown> };
      realm.tokens = { ...realm.tokens, accessTokenLifespan: TOKEN_LIFESPAN };
    },
  });
  try {
    console.log(machine());
    // With --base, the two sides' processes alternate, so a drift of the machine or the provider meets both.
    const tree: Window[] = [];
    const before: Window[] = [];
    for (let p = 0; p < processes; p++) {
      tree.push(...(await countLoads(t, projectPluginFiles(), loads, requests, rounds, luajitLib, p)));
      if (base) before.push(...(await countLoads(t, pluginFilesAt(base), loads, requests, rounds, luajitLib, p)));
    }
    printTable("working tree: instructions per request (median of the rounds, over every process)", tree, loads, requests);
    if (loads.includes("a") && loads.includes("b")) {
      const a = perRequest(tree, "a", requests);
      const b = perRequest(tree, "b", requests);
      const rest = a.rest !== null && b.rest !== null ? `, without the collector and the trace compiler ${(a.rest / b.rest).toFixed(3)}` : "";
      console.log(`\nb/a by instructions (a's over b's): ${(a.total / b.total).toFixed(3)}${rest}`);
    }
    const per = requests * rounds * processes;
    for (const load of loads.slice(1)) {
      console.log(`\nwhere ${load} exceeds ${loads[0]}, instructions per request (function, ${load}'s own):`);
      for (const d of costDeltas(summed(tree, loads[0]), per, summed(tree, load), per, 20))
        console.log(`${d.delta.toFixed(0).padStart(8)} ${d.other.toFixed(0).padStart(8)}  ${d.name.slice(0, 110)}`);
    }
    if (base) {
      printTable(`${base}: instructions per request (median of the rounds, over every process)`, before, loads, requests);
      console.log(`\nworking tree against ${base}, instructions per request:`);
      for (const load of loads) {
        const now = perRequest(tree, load, requests);
        const then = perRequest(before, load, requests);
        const rest = now.rest !== null && then.rest !== null ? `; without the collector and the trace compiler ${(now.rest / then.rest).toFixed(3)}` : "";
        console.log(`- ${load}: ${k(now.total)} against ${k(then.total)}, ${(now.total / then.total).toFixed(3)}${rest}`);
      }
    }
  } finally {
    await t.stop();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
