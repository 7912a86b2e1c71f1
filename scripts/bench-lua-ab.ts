/**
 * npm run bench:lua-ab [-- --base HEAD --load b --rounds 8 --seconds 5]
 *
 * Does a change to the gateway's Lua make it cheaper or dearer? Sequential
 * runs on this kind of VM move by more than the changes worth measuring, so
 * this measures paired: two single-worker gateways share the gateway CPU and
 * take the same load at once; each round one runs the plugins as they are at
 * `--base` (a git ref), the other the working tree's, the two swapping every
 * round (both reloaded, so neither keeps a process's luck). The figure is the
 * geometric mean over an even number of rounds of the working tree's gateway
 * CPU per request over the base's (pairedRatio): under 1, the change is
 * cheaper. Beside it, the median of the swapped pairs (pairedMedian), which a
 * round the VM disturbed on one side does not move: trust a change when both
 * agree, and a null run (nothing changed) shows this machine's noise. Loads: `a` the public route, `b` the auth chain with one token,
 * `h` 10,000 valid tokens rotating (bench:gateway's many users), `l` the
 * chain's route without a token, `i` bench:gateway's under-attack mix (the valid
 * token, every other request a new forgery). Native gateway, 2+ CPUs, taskset and wrk.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { projectPluginFiles } from "../components/gateway";
import { chooseGatewayRuntime, startGatewayTopology } from "../test/integration/support/gateway-topology";
import type { RunningGateway } from "../test/integration/support/gateway-runtime";
import { startNginxUpstream } from "../test/integration/support/nginx-upstream";
import {
  choosePinning,
  cpuSecondsOf,
  loadScripts,
  pairedMedian,
  pairedRatio,
  pinListeners,
  viewerTokens,
  withDefaultKeyTimings,
  withOneWorker,
  wrk,
} from "./bench-gateway";
import { machine, numberArg, stringArg } from "./lib/run-facts";
import { PROJECT_ROOT } from "./lib/run-stack";

/** The project's plugin files (`plugins/<name>.lua` -> source) as they are at a git ref. */
export function pluginFilesAt(ref: string): Record<string, string> {
  return Object.fromEntries(
    Object.keys(projectPluginFiles()).map((name) => {
      const path = `components/gateway/lua/apisix/${name}`;
      const shown = spawnSync("git", ["show", `${ref}:${path}`], { cwd: PROJECT_ROOT, encoding: "utf8", maxBuffer: 16 * 2 ** 20 });
      if (shown.status !== 0) throw new Error(`--base ${ref}: git has no ${path} there (${shown.stderr.trim()})`);
      return [name, shown.stdout];
    }),
  );
}

const LOADS = ["a", "b", "h", "l", "i"] as const;
type Load = (typeof LOADS)[number];

async function main(): Promise<void> {
  const base = stringArg("base", "HEAD");
  const load = stringArg("load", "b") as Load;
  if (!LOADS.includes(load)) throw new Error(`--load must be one of ${LOADS.join(", ")}, got ${load}`);
  const rounds = 2 * Math.ceil(numberArg("rounds", 8) / 2);
  const seconds = numberArg("seconds", 5);
  const baseFiles = pluginFilesAt(base);
  const treeFiles = projectPluginFiles();
  const changed = Object.keys(treeFiles).filter((n) => treeFiles[n] !== baseFiles[n]);
  console.log(`plugins changed since ${base}: ${changed.length ? changed.join(", ") : "none (a null run: the figure is the noise)"}`);

  if (spawnSync("wrk", ["--version"]).error) throw new Error("wrk is not installed: apt-get install wrk");
  const runtime = await chooseGatewayRuntime();
  if (runtime.kind !== "native")
    throw new Error(`bench:lua-ab needs the native gateway (it reloads plugin files in place): ${"reason" in runtime ? runtime.reason : runtime.kind}`);
  const pin = choosePinning(runtime.kind, cpus().length, true);
  if (!("gatewayCpu" in pin)) throw new Error(`bench:lua-ab needs the pinned arrangement: ${pin.reason}`);

  const t = await startGatewayTopology(runtime.start!, { service: startNginxUpstream, editSpec: withDefaultKeyTimings });
  try {
    const sides: RunningGateway[] = [await t.startGateway(withOneWorker), await t.startGateway(withOneWorker)];
    for (const g of sides) await pinListeners(g.http.port, pin.gatewayCpu);
    for (const port of [t.gateway.http.port, t.echo.address.port, t.impostor.address.port]) await pinListeners(port, pin.loadCpus);
    execFileSync("taskset", ["-a", "-p", "-c", pin.loadCpus, String(process.pid)]);

    const newToken = viewerTokens(t);
    let token = await newToken();
    const scripts = await loadScripts(t, () => token);
    const path = load === "a" ? "/api/public" : "/api/orders/bench";
    const headers = (): Record<string, string> => (load === "b" ? { authorization: `Bearer ${token}` } : {});
    const scriptNow = async () => (load === "h" ? scripts.manyUsers() : load === "i" ? scripts.underAttack() : undefined);
    // (h): each batch of tokens is verified once on each gateway before it is measured (the steady state of users seen).
    const warm = async (g: RunningGateway, i: number, script: string | undefined) =>
      wrk(g.http, path, headers(), script && scripts.unseenBy(`ab-${i}`, script) ? Math.max(20, seconds) : 2, 32, pin, script);

    const ratios: Array<{ cpu: number; rps: number }> = [];
    for (let r = 0; r < rounds; r++) {
      token = await newToken();
      const tree = r % 2; // the side running the working tree's plugins this round
      await Promise.all(sides.map((g, i) => g.reloadPlugins!(i === tree ? treeFiles : baseFiles)));
      const script = await scriptNow();
      for (const [i, g] of sides.entries()) await warm(g, i, script);
      const before = await Promise.all(sides.map((g) => cpuSecondsOf(g.http.port)));
      const results = await Promise.all(sides.map((g) => wrk(g.http, path, headers(), seconds, 32, pin, script)));
      const after = await Promise.all(sides.map((g) => cpuSecondsOf(g.http.port)));
      // (l) and (i)'s forgeries are refused on purpose: their 401s are what they measure.
      results.forEach((w, i) => {
        if (load !== "l" && load !== "i" && w.errors) throw new Error(`round ${r}: ${w.errors} errors on gateway ${i}`);
      });
      const us = results.map((w, i) => ((after[i]! - before[i]!) * 1e6) / (w.rps * seconds));
      ratios.push({ cpu: us[tree] / us[1 - tree], rps: results[1 - tree].rps / results[tree].rps });
      console.log(
        `round ${r + 1}: working tree ${us[tree].toFixed(1)} µs, ${base} ${us[1 - tree].toFixed(1)} µs per request: ${(us[tree] / us[1 - tree]).toFixed(3)}`,
      );
    }
    const list = (k: "cpu" | "rps") => ratios.map((x) => x[k].toFixed(3)).join(", ");
    console.log(machine());
    const cpu = ratios.map((x) => x.cpu);
    console.log(
      `lua a/b, load ${load}: working tree / ${base} gateway CPU per request ${pairedRatio(cpu).toFixed(3)}, median of swapped pairs ${pairedMedian(cpu).toFixed(3)} (rounds: ${list("cpu")}); ` +
        `throughput ${base} / working tree ${pairedRatio(ratios.map((x) => x.rps)).toFixed(3)} (rounds: ${list("rps")})`,
    );
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
