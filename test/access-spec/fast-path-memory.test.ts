/**
 * The fast path's worst case must fit the gateway pod's memory limit: every
 * worker's level full of the largest entries it keeps, plus the shared level,
 * within half the limit. Past it, a pod with many active users is OOM-killed.
 * Generated the way a careless user sizes things: many workers, small limits,
 * big caches, at and one past the boundary, and the remedies the error offers.
 */
import { describe, expect, it } from "vitest";
import {
  MiB,
  WORKER_ENTRY_WORST_BYTES,
  fastPathWorstCaseBytes,
  largestVerifiedTokenCacheSize,
  smallestMemoryLimitMiB,
} from "../../components/contract/fast-path-memory";
import { memoryBytes, workersFor } from "../../components/access-spec";
import { rawSpec, spec } from "../fixtures/raw-spec";
import { problemsIn, problemsOf } from "../support/spec-problems";

function sized(cpuLimit: string, memoryLimit: string, size: number, megabytes: number) {
  return (raw: any) => {
    raw.gateway = {
      ...(raw.gateway ?? {}),
      resources: { cpuRequest: "250m", cpuLimit, memoryRequest: memoryLimit, memoryLimit },
      verifiedTokenCacheSize: size,
      verifiedTokenCacheMegabytes: megabytes,
    };
  };
}

const problemsFor = (mutate: (raw: any) => void) => {
  const raw = rawSpec();
  mutate(raw);
  return problemsIn(raw).map((p) => `${p.path}: ${p.message}`);
};

describe("the fast path's worst case", () => {
  it("is every worker's level full of worst-case entries plus the shared level", () => {
    expect(fastPathWorstCaseBytes({ workers: 1, verifiedTokenCacheSize: 2000, verifiedTokenCacheMegabytes: 32 })).toBe(2000 * 17 * 1024 + 32 * MiB);
    expect(fastPathWorstCaseBytes({ workers: 3, verifiedTokenCacheSize: 10, verifiedTokenCacheMegabytes: 0 })).toBe(30 * WORKER_ENTRY_WORST_BYTES);
    expect(fastPathWorstCaseBytes({ workers: 8, verifiedTokenCacheSize: 0, verifiedTokenCacheMegabytes: 0 })).toBe(0);
  });

  it("fits the defaults and the shipped stacks", () => {
    expect(() => spec()).not.toThrow();
    expect(() => spec(sized("2", "1Gi", 2000, 32))).not.toThrow();
  });

  const cases = ["250m", "1", "2", "3500m", "8"].flatMap((cpu) =>
    ["192Mi", "512Mi", "1Gi", "4G"].flatMap((memory) => [0, 32, 64].map((megabytes) => [cpu, memory, megabytes] as const)),
  );

  it.each(cases)("cpuLimit %s, memoryLimit %s, shared %i MiB: the largest size fits, one more is refused naming the fields", (cpu, memory, megabytes) => {
    const workers = workersFor(cpu);
    const largest = largestVerifiedTokenCacheSize(memoryBytes(memory), { workers, verifiedTokenCacheMegabytes: megabytes });
    expect(largest).toBeGreaterThan(0);
    expect(problemsFor(sized(cpu, memory, largest, megabytes))).toEqual([]);
    const over = largest + 1;
    const [problem, ...rest] = problemsOf(sized(cpu, memory, over, megabytes));
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      new RegExp(`^gateway\\.verifiedTokenCacheSize: ${over} entries in each of ${workers} workers? \\(gateway\\.resources\\.cpuLimit ${cpu}\\)`),
    );
    expect(problem).toContain(`gateway.verifiedTokenCacheMegabytes adds ${megabytes} MiB`);
    expect(problem).toContain(`half of gateway.resources.memoryLimit ${memory}`);
    // The remedies it names work.
    expect(problem).toContain(`Lower it to at most ${largest}`);
    const limit = smallestMemoryLimitMiB({ workers, verifiedTokenCacheSize: over, verifiedTokenCacheMegabytes: megabytes });
    expect(problem).toContain(`raise gateway.resources.memoryLimit to at least ${limit}Mi`);
    expect(problemsFor(sized(cpu, `${limit}Mi`, over, megabytes))).toEqual([]);
    expect(problemsFor(sized(cpu, `${limit - 1}Mi`, over, megabytes)).join("\n")).toContain("gateway.verifiedTokenCacheSize");
  });

  it("refuses the largest size the schema allows in the default pod", () => {
    expect(problemsOf(sized("1", "512Mi", 1_000_000, 32)).join("\n")).toContain("gateway.verifiedTokenCacheSize: 1000000 entries in each of 1 worker");
  });

  it("names the shared level when it alone is over the budget", () => {
    const problems = problemsOf(sized("1", "512Mi", 0, 300));
    expect(problems).toEqual([
      "gateway.verifiedTokenCacheMegabytes: 300 MiB of shared fast-path level is more than half of gateway.resources.memoryLimit 512Mi (256.0 MiB), the share the fast path may take: lower it or raise gateway.resources.memoryLimit to at least 600Mi",
    ]);
  });

  it("counts every worker: more cores with the same memory limit refuse what one core fits", () => {
    const size = 5000;
    expect(problemsFor(sized("1", "512Mi", size, 32))).toEqual([]);
    expect(problemsOf(sized("4", "512Mi", size, 32)).join("\n")).toContain("in each of 4 workers (gateway.resources.cpuLimit 4)");
  });

  it("accepts any limit when the fast path is off", () => {
    for (const memory of ["1Mi", "64Mi"]) expect(problemsFor(sized("8", memory, 0, 0))).toEqual([]);
  });

  it("reports the bad quantity only, not a budget computed from it", () => {
    const problems = problemsOf(sized("1", "512m", 1_000_000, 32));
    expect(problems.join("\n")).toContain('gateway.resources.memoryLimit: "512m" is not a memory quantity');
    expect(problems.join("\n")).not.toContain("verifiedTokenCacheSize");
  });
});
