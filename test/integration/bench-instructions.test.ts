/**
 * `npm run bench:instructions` at a small size: a native gateway under
 * callgrind, the public route and the auth chain counted
 * (scripts/bench-instructions.ts; its readers of callgrind's output are
 * unit-tested in test/scripts).
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";
import { chooseGatewayRuntime } from "./support/gateway-topology";

const runtime = await chooseGatewayRuntime();
const hasValgrind = !spawnSync("valgrind", ["--version"]).error;
const skipped =
  runtime.kind !== "native"
    ? `: ${"reason" in runtime ? runtime.reason : "it runs the native gateway's nginx under callgrind"}`
    : !hasValgrind
      ? ": valgrind is not installed (apt-get install valgrind)"
      : "";

describe.skipIf(skipped !== "")(`bench:instructions on the native gateway${skipped ? ` (skipped${skipped})` : ""}`, () => {
  it("counts the public route and the auth chain per request, the chain dearer, and names where", () => {
    const res = spawnSync("npx", ["tsx", "scripts/bench-instructions.ts", "--loads", "a,b", "--requests", "40", "--rounds", "1"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      timeout: 600_000,
    });
    expect(res.status, res.stderr.slice(-3000)).toBe(0);
    const row = (load: string) => {
      const m = res.stdout.match(new RegExp(`^\\| ${load} \\| ([\\d.]+)k \\|`, "m"));
      expect(m, `no row for ${load} in:\n${res.stdout}`).not.toBeNull();
      return Number(m![1]) * 1000;
    };
    const a = row("a");
    const b = row("b");
    // A request through nginx, APISIX and the plugins is hundreds of thousands of instructions, not a stray count.
    expect(a).toBeGreaterThan(100_000);
    expect(b).toBeGreaterThan(a);
    const ratio = Number(res.stdout.match(/b\/a by instructions \(a's over b's\): ([\d.]+)/)?.[1]);
    expect(ratio).toBeCloseTo(a / b, 2);
    // nginx reading the token's header is the one cost only (b) has for certain: its symbol is exported.
    expect(res.stdout).toMatch(/where b exceeds a[\s\S]*ngx_http_parse_header_line/);
  }, 660_000);
});
