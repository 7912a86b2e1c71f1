import { describe, expect, it } from "vitest";
import { annotatedCosts, callgrindTotal, costDeltas, costSplit, median } from "../../scripts/bench-instructions";

// Shaped like callgrind_annotate's output (valgrind 3.19), shortened.
const ANNOTATE = `--------------------------------------------------------------------------------
Profile data file '/tmp/bench-instructions-x/cg.out.3' (creator: callgrind-3.19.0)
--------------------------------------------------------------------------------
Ir
--------------------------------------------------------------------------------
1,000,000 (100.0%)  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir                file:function
--------------------------------------------------------------------------------
300,000 (30.00%)  ./src/./src/lj_gc.c:lj_gc_step [/tmp/ljlib/libluajit-5.1.so.2]
 50,000 ( 5.00%)  ./src/./src/lj_gc.c:lj_gc_step_jit'2 [/tmp/ljlib/libluajit-5.1.so.2]
 40,000 ( 4.00%)  ./src/./src/lj_trace.c:lj_trace_hot [/tmp/ljlib/libluajit-5.1.so.2]
 30,000 ( 3.00%)  ./src/./src/lj_trace.c:lj_trace_ins [/tmp/ljlib/libluajit-5.1.so.2]
120,000 (12.00%)  ???:ngx_http_parse_header_line [/usr/sbin/nginx]
  7,000 ( 0.70%)  ???:0x0000000005067b20 [???]
  3,000 ( 0.30%)  ???:0x0000000005067c40 [???]
  2,000 ( 0.20%)  ./src/./src/lj_str.c:lj_str_new [/tmp/ljlib/libluajit-5.1.so.2]
`;

describe("bench:instructions' reading of callgrind", () => {
  it("takes a dump's total from its totals line, else its summary line, and refuses anything else", () => {
    expect(callgrindTotal("events: Ir\nsummary: 5\ntotals: 1234\n")).toBe(1234);
    expect(callgrindTotal("events: Ir\nsummary: 77\n")).toBe(77);
    expect(() => callgrindTotal("<html>")).toThrow(/not a callgrind dump/);
  });

  it("reads each function's count, joins recursion levels and sums JIT code (no symbol) per object", () => {
    const costs = annotatedCosts(ANNOTATE);
    expect(costs.get("./src/./src/lj_gc.c:lj_gc_step_jit [libluajit-5.1.so.2]")).toBe(50_000);
    expect(costs.get("??? [???]")).toBe(10_000);
    expect(costs.get("???:ngx_http_parse_header_line [nginx]")).toBe(120_000);
    expect([...costs.keys()].some((k) => k.includes("PROGRAM TOTALS"))).toBe(false);
  });

  it("splits out the collector and the trace compiler where libluajit has symbols, and says it cannot where it has none", () => {
    const split = costSplit(1_000_000, annotatedCosts(ANNOTATE));
    expect(split).toEqual({ total: 1_000_000, gc: 350_000, compiler: 40_000, rest: 610_000 });
    const stripped = annotatedCosts("500 (50.00%)  ???:0x000000000000df73 [/usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2.1.0]\n");
    expect(costSplit(1000, stripped)).toEqual({ total: 1000, gc: null, compiler: null, rest: null });
  });

  it("lists where one load exceeds another per request, largest difference first, either sign", () => {
    const a = new Map([
      ["x", 1000],
      ["y", 500],
      ["z", 100],
    ]);
    const b = new Map([
      ["x", 1100],
      ["y", 100],
      ["w", 900],
    ]);
    const deltas = costDeltas(a, 10, b, 10, 3);
    expect(deltas.map((d) => [d.name, d.delta])).toEqual([
      ["w", 90],
      ["y", -40],
      ["x", 10],
    ]);
    expect(deltas[0].other).toBe(90);
  });

  it("takes the median of an odd and an even number of rounds", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
