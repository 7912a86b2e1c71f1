import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");

/** `npm run bench:render` was broken for a while and nothing ran it: a small size runs in every suite. */
describe("bench:render (smoke, small size)", () => {
  it("validates, renders and counts the gateway's resources for 2 services x 3 routes", () => {
    const run = spawnSync(join(root, "node_modules", ".bin", "tsx"), ["scripts/bench-render.ts", "--services", "2", "--routes", "3"], {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/spec: 2 services x 3 routes = 6 routes/);
    expect(run.stdout).toMatch(/bench:render: 6 routes validated and rendered in [\d.]+ s, peak \d+ MiB/);
    // Routes live in the rendered config: the component registers no resource per route.
    expect(run.stdout).toMatch(/growth with routes: 0\)/);
  }, 120_000);
});
