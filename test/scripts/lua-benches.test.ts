/**
 * The LuaJIT benchmarks run from a clean clone and print their figures: smoke
 * tests, not timings (their numbers go in docs/benchmarks.md from a run on a
 * named machine). bench:fast-path-memory runs with 300 entries (2,000 take
 * 17 s here), to hold the memory budget's worst-case entry to its measure.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";
import { WORKER_ENTRY_WORST_BYTES } from "../../components/contract/fast-path-memory";

const luajit = (script: string, env: Record<string, string> = {}) =>
  spawnSync("luajit", [script], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } });

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

  it("bench:fast-path-memory: the memory budget's worst-case entry is at least twice the largest one a worker keeps, measured", () => {
    const res = luajit("scripts/fast-path-memory.lua", { ENTRIES: "300" });
    expect(res.status, res.stderr).toBe(0);
    const kept = [...res.stdout.matchAll(/^token of (\d+) bytes .*: ([\d.]+) KB per worker entry/gm)].map((m) => Number(m[2]));
    // The smallest token over the 4096-byte limit bounds the largest one a worker keeps.
    const over = /^token of (\d+) bytes .*not kept by a worker \(over 4096 bytes; it would take ([\d.]+) KB there\)/m.exec(res.stdout);
    expect(kept).toHaveLength(3);
    expect(over, res.stdout).not.toBeNull();
    const largestKept = Number(over![2]) * 1024;
    expect(Math.max(...kept) * 1024).toBeLessThan(largestKept);
    // LuaJIT collects when a heap has doubled (pause 200 %): the budget counts that headroom.
    expect(WORKER_ENTRY_WORST_BYTES).toBeGreaterThanOrEqual(2 * largestKept);
  });
});
