/**
 * npm test: every check on a fresh clone, one summary.
 *   1. tsc --noEmit (strict types)
 *   2. vitest (unit, component-under-mocks, render, policy and integration suites)
 *   3. busted on LuaJIT (the gateway's Lua plugin), when Lua specs exist
 *   4. the linters (npm run lint: ESLint, Prettier, luacheck), counted as one check
 * Ends with one line `N passed, N failed, N skipped` totalled over the runners.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "./lib/run-stack";

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const add = (t: Tally) => {
  total.passed += t.passed;
  total.failed += t.failed;
  total.skipped += t.skipped;
};
const scratch = mkdtempSync(join(tmpdir(), "gateway-auth-test-"));
const bin = (name: string) => join(PROJECT_ROOT, "node_modules", ".bin", name);

function run(cmd: string, args: string[]): number {
  console.log(`\n$ ${[cmd, ...args].join(" ")}`);
  return spawnSync(cmd, args, { cwd: PROJECT_ROOT, stdio: "inherit" }).status ?? 1;
}

/** Strict types everywhere; the container suites are ES modules and have a tsconfig of their own. */
function typecheck(): Tally {
  const ok = [".", "test/integration"].every((project) => run(bin("tsc"), ["--noEmit", "-p", project]) === 0);
  return ok ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };
}

/** Skipped tests grouped by file and top-level suite, whose title says why (e.g. "gateway tier: ... (skipped: no Docker)"). */
const skippedTiers: string[] = [];
function skippedGroups(report: {
  testResults: Array<{ name: string; assertionResults: Array<{ status: string; ancestorTitles: string[]; fullName: string }> }>;
}): string[] {
  const groups = new Map<string, number>();
  for (const file of report.testResults) {
    for (const a of file.assertionResults) {
      if (a.status !== "pending" && a.status !== "skipped" && a.status !== "todo") continue;
      // The suite that says why it skipped, else the test itself (its title should say it).
      const why = a.ancestorTitles.find((t) => /skipped/i.test(t)) ?? a.fullName;
      const key = `${file.name.replace(`${PROJECT_ROOT}/`, "")}: ${why}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
  }
  return [...groups].map(([key, n]) => `${n} skipped in ${key}`);
}

function vitest(): Tally {
  const report = join(scratch, "vitest.json");
  const status = run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`]);
  if (!existsSync(report)) return { passed: 0, failed: 1, skipped: 0 };
  const r = JSON.parse(readFileSync(report, "utf8"));
  const t = { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
  skippedTiers.push(...skippedGroups(r));
  // A suite that fails to load has no failed tests but a non-zero exit: count it.
  if (status !== 0 && t.failed === 0) t.failed = 1;
  return t;
}

function busted(): Tally {
  const specs = join(PROJECT_ROOT, "components", "gateway", "lua", "spec");
  if (!existsSync(specs)) return { passed: 0, failed: 0, skipped: 0 };
  console.log(`\n$ busted --lua=luajit ${specs}`);
  const res = spawnSync("busted", ["--lua=luajit", "-o", "json", specs], { cwd: join(PROJECT_ROOT, "components", "gateway", "lua"), encoding: "utf8" });
  if (res.error) {
    console.error(
      `busted is not installed (${res.error.message}); .ci/run installs it: apt-get install luajit2 lua-busted lua-cjson (OpenResty's LuaJIT: Debian's luajit package would remove nginx's Lua module)`,
    );
    return { passed: 0, failed: 1, skipped: 0 };
  }
  let r: { successes: unknown[]; failures: Array<{ name: string; message: string }>; errors: Array<{ name: string; message: string }>; pendings: unknown[] };
  try {
    r = JSON.parse(res.stdout.slice(res.stdout.indexOf("{")));
  } catch {
    console.error(res.stdout, res.stderr);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  for (const f of [...r.failures, ...r.errors]) console.error(`  FAIL ${f.name}\n    ${f.message}`);
  console.log(`busted: ${r.successes.length} passed, ${r.failures.length + r.errors.length} failed, ${r.pendings.length} pending`);
  return { passed: r.successes.length, failed: r.failures.length + r.errors.length, skipped: r.pendings.length };
}

/** ESLint, Prettier and luacheck (npm run lint), one check: the house rules hold or they do not. */
function lint(): Tally {
  if (spawnSync("luacheck", ["--version"]).error) {
    console.error("luacheck is not installed; .ci/run installs it: apt-get install lua-check");
    return { passed: 0, failed: 1, skipped: 0 };
  }
  return run("npm", ["run", "--silent", "lint"]) === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };
}

for (const step of [typecheck, vitest, busted, lint]) add(step());
rmSync(scratch, { recursive: true, force: true });
// Which tiers did not run here, and why (their suite titles say it), just above the one summary line.
if (skippedTiers.length) console.log(`\nSkipped here:\n${skippedTiers.map((l) => `  ${l}`).join("\n")}`);
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
