/**
 * npm run bench:token-parse runs from a clean clone and prints its figures: a
 * smoke test, not a timing (its numbers go in docs/benchmarks.md from a run on
 * a named machine). bench:fast-path-memory is left out: it takes 17 s here.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";

const luajit = (script: string) => spawnSync("luajit", [script], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000 });

describe("the LuaJIT token-parse benchmark", () => {
  it("bench:token-parse times the defining pattern and the gateway's one-pass reader on three header sizes", () => {
    const res = luajit("scripts/bench-token-parse.lua");
    expect(res.status, res.stderr).toBe(0);
    const lines = res.stdout.match(/^header of \d+ bytes: Lua pattern [\d.]+ us, one-pass reader [\d.]+ us \([\d.]+ times less\)$/gm);
    expect(lines).toHaveLength(3);
  });
});
