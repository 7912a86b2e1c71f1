/**
 * `npm run bench:lua-ab`: the working tree's plugins against a git ref's,
 * paired on two native gateways (scripts/bench-lua-ab.ts). The git part runs
 * everywhere; reloading plugins in place and the tool itself where the native
 * gateway is.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectPluginFiles } from "../../components/gateway";
import { pluginFilesAt } from "../../scripts/bench-lua-ab";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";
import { chooseGatewayRuntime, startGatewayTopology, type GatewayTopology } from "./support/gateway-topology";
import { send } from "./support/http";

const hasGit = spawnSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT }).status === 0;

describe.skipIf(!hasGit)(`bench:lua-ab's base plugins${hasGit ? "" : " (skipped: not a git checkout)"}`, () => {
  it("reads every project plugin file at a ref, under the names the gateway mounts", () => {
    const files = pluginFilesAt("HEAD");
    expect(Object.keys(files).sort()).toEqual(Object.keys(projectPluginFiles()).sort());
    for (const [name, source] of Object.entries(files)) expect(source, name).toMatch(/return _M\s*$/);
  });

  it("names the ref and the file when git has no such version", () => {
    expect(() => pluginFilesAt("no-such-ref-0642")).toThrow(
      /--base no-such-ref-0642: git has no components\/gateway\/lua\/apisix\/plugins\/gateway-[a-z-]+\.lua there/,
    );
  });
});

const runtime = await chooseGatewayRuntime();
const native = runtime.kind === "native";

describe.skipIf(!native)(
  `bench:lua-ab on the native gateway${native ? "" : ` (skipped: ${"reason" in runtime ? runtime.reason : "Docker gateways are not reloaded in place"})`}`,
  () => {
    let t: GatewayTopology;
    beforeAll(async () => {
      t = await startGatewayTopology(runtime.start!);
    }, 180_000);
    afterAll(async () => t?.stop());

    it("reloadPlugins serves the new plugin code from new workers, and the old code again when given back", async () => {
      const original = projectPluginFiles();
      const name = "plugins/gateway-decisions.lua";
      const probed = original[name].replace(
        "function _M.rewrite(conf, ctx)\n",
        'function _M.rewrite(conf, ctx)\n    ngx.header["X-Lua-Ab-Probe"] = "reloaded"\n',
      );
      expect(probed).not.toBe(original[name]);
      const probe = async () => (await send(t.gateway.http, "GET", "/api/public")).headers["x-lua-ab-probe"];
      expect(await probe()).toBeUndefined();
      const before = t.gateway.workerPids!();
      await t.gateway.reloadPlugins!({ [name]: probed });
      expect(t.gateway.workerPids!().some((pid) => before.includes(pid))).toBe(false);
      expect(await probe()).toBe("reloaded");
      await t.gateway.reloadPlugins!({ [name]: original[name] });
      expect(await probe()).toBeUndefined();
    }, 120_000);

    it.skipIf(spawnSync("wrk", ["--version"]).error !== undefined)(
      "runs a short paired comparison and prints its figure",
      () => {
        const r = spawnSync(join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), ["scripts/bench-lua-ab.ts", "--load", "b", "--rounds", "2", "--seconds", "1"], {
          cwd: PROJECT_ROOT,
          encoding: "utf8",
          timeout: 240_000,
        });
        expect(r.status, r.stderr.slice(-2000)).toBe(0);
        expect(r.stdout).toMatch(/^plugins changed since HEAD: /m);
        expect(r.stdout).toMatch(/^round 2: working tree [\d.]+ µs, HEAD [\d.]+ µs per request: [\d.]+$/m);
        expect(r.stdout).toMatch(
          /^lua a\/b, load b: working tree \/ HEAD gateway CPU per request [\d.]+, median of swapped pairs [\d.]+ \(rounds: [\d.]+, [\d.]+\); throughput HEAD \/ working tree [\d.]+/m,
        );
      },
      300_000,
    );
  },
);
