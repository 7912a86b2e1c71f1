/**
 * The LuaJIT benchmarks run from a clean clone and print their figures: smoke
 * tests, not timings (their numbers go in docs/benchmarks.md from a run on a
 * named machine). bench:fast-path-memory is left out: it takes 17 s here.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";

const luajit = (script: string) => spawnSync("luajit", [script], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000 });

describe("the LuaJIT benchmarks", () => {
  it("bench:token-parse times the defining pattern and the gateway's one-pass reader on three header sizes", () => {
    const res = luajit("scripts/bench-token-parse.lua");
    expect(res.status, res.stderr).toBe(0);
    const lines = res.stdout.match(/^header of \d+ bytes: Lua pattern [\d.]+ us, one-pass reader [\d.]+ us \([\d.]+ times less\)$/gm);
    expect(lines).toHaveLength(3);
  });

  it("bench:lru-churn times an eviction in both of lua-resty-lrucache's LRUs (the real modules, not the busted stand-in)", () => {
    const res = luajit("scripts/bench-lru-churn.lua");
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/lua-resty-lrucache from \/usr\/share\/lua\/5\.1\/resty\/lrucache\.lua/);
    const lines = res.stdout.match(/^size \d+, 20000 keys rotating: resty\.lrucache [\d.]+ us, resty\.lrucache\.pureffi [\d.]+ us per miss and set$/gm);
    expect(lines).toHaveLength(3);
  });

  it("bench:string-hash times interning a header variant with others alive, on OpenResty's luajit2 (whose hash it is about)", () => {
    const res = luajit("scripts/bench-string-hash.lua");
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/\(OpenResty's luajit2\), a \d+-byte Authorization header/);
    const lines = res.stdout.match(
      /^headers differing in the (middle|last bytes) \(byte \d+\): [\d.]+ us with 0 alive, [\d.]+ us with 1024 alive, [\d.]+ us with 3000 alive$/gm,
    );
    expect(lines).toHaveLength(6);
  });
});
