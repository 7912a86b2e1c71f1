/**
 * `npm start -- --stack <name>`: a stack's gateway on this machine (scripts/start.ts).
 * The runtime-free parts run everywhere; the rest where a gateway runtime is.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkableRows, checkRow } from "../../scripts/lib/local-check";
import { startLocalGateway, type LocalGateway } from "../../scripts/lib/local-gateway";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";
import { parseStartArgs } from "../../scripts/start";
import { chooseGatewayRuntime } from "./support/gateway-topology";
import { reachedUpstream, send } from "./support/http";

const START = [join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), join(PROJECT_ROOT, "scripts", "start.ts")];
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(START[0], [START[1], ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 });

describe("npm start: arguments and refusals (no runtime needed)", () => {
  it("needs --stack and knows its flags", () => {
    expect(parseStartArgs(["--stack", "dev", "--check"])).toEqual({ stack: "dev", check: true, allowProdSpec: false });
    for (const bad of [[], ["--stack"], ["--stack", "../x"], ["--stack", "dev", "--chek"]])
      expect(() => parseStartArgs(bad), bad.join(" ")).toThrow(/usage: npm start -- --stack <name>/);
  });

  it("refuses a prod stack unless asked explicitly, before starting anything", () => {
    const r = run(["--stack", "prod"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/prod stack.*--allow-prod-spec/);
  });

  it("without APISIX or Docker, exits at once naming both ways to get a gateway", () => {
    const started = Date.now();
    const r = run(["--stack", "dev"], { GATEWAY_RUNTIME: "native", APISIX_HOME: "/nonexistent-apisix" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/native-apisix\/install\.sh/);
    expect(r.stderr).toMatch(/Docker/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

const runtime = await chooseGatewayRuntime();
if (!runtime.kind) console.warn(`\n[npm start] SKIPPED: ${runtime.reason}\n`);

describe.skipIf(!runtime.kind)(`npm start on the dev stack: APISIX 3.18.0 (${runtime.kind ?? `skipped: ${runtime.reason}`})`, () => {
  it("--check answers every checkable matrix row as the matrix says, and exits 0", () => {
    const r = run(["--stack", "dev", "--check"]);
    const m = /^local: (\d+) of (\d+) matrix checks passed$/m.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(100);
    expect(m![1]).toBe(m![2]);
    expect(r.status).toBe(0);
  });

  it("prints curl lines that work for every role and service client, follows the log, and Ctrl-C leaves no process or folder behind", async () => {
    const child = spawn(START[0], [START[1], "--stack", "dev"], { cwd: PROJECT_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      for (let i = 0; i < 600 && !out.includes("Ctrl-C stops everything"); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain("Ctrl-C stops everything");
      const curls = out.split("\n").filter((l) => l.startsWith("curl "));
      // Four roles and one service client in the dev stack.
      expect(curls.length).toBe(5);
      for (const line of curls) {
        const header = (name: string) => new RegExp(`-H '${name}: ([^']+)'`).exec(line)?.[1];
        const url = new URL(/'(http:[^']+)'$/.exec(line)![1]);
        const reply = await send({ host: url.hostname, port: Number(url.port) }, "GET", url.pathname, {
          host: header("Host")!,
          authorization: header("Authorization")!,
        });
        expect(reachedUpstream(reply), line.slice(0, 80)).toBe(true);
      }
      for (let i = 0; i < 40 && (out.match(/ allow +allowed +200 GET /g) ?? []).length < curls.length; i++) await new Promise((r) => setTimeout(r, 100));
      expect((out.match(/ allow +allowed +200 GET /g) ?? []).length).toBe(curls.length);
    } finally {
      process.kill(-child.pid!, "SIGINT"); // what Ctrl-C sends: the whole foreground group
    }
    expect(await exited).toBe(0);
    const instance = /Decision log: (\/\S+)\/logs\/decisions\.log/.exec(out)![1];
    expect(existsSync(instance)).toBe(false);
    expect(spawnSync("pgrep", ["-f", instance]).stdout.toString()).toBe("");
  });

  describe("the check itself", () => {
    let local: LocalGateway;
    beforeAll(async () => {
      local = await startLocalGateway({ stack: "dev", root: PROJECT_ROOT });
    }, 120_000);
    afterAll(() => local?.stop());

    it("reports a row the gateway answers otherwise than the matrix says (the check can fail)", async () => {
      const rows = checkableRows(local);
      const allowed = rows.find((e) => e.outcome.allow && e.caller.kind === "role" && e.method === "GET")!;
      const refused = rows.find((e) => !e.outcome.allow && e.outcome.status === 403)!;
      const tokens = new Map<string, string>();
      expect(await checkRow(local, allowed, tokens)).toBeUndefined();
      expect(await checkRow(local, { ...allowed, outcome: { allow: false, status: 403, reason: "role_missing" } }, tokens)).toMatch(/200, the matrix says 403/);
      expect(await checkRow(local, { ...refused, outcome: { allow: true } }, tokens)).toMatch(/403, the matrix says allow/);
    });
  });
});
