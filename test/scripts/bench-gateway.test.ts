import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { choosePinning, cpuSecondsOf, freshWorkers, hashingAlike, pairedMedian, pairedRatio, parseWrk, ratioTargetMet } from "../../scripts/bench-gateway";
import { projectPluginFiles } from "../../components/gateway";
import type { RunningGateway } from "../../test/integration/support/gateway-runtime";

const WRK = `Running 5s test @ http://127.0.0.1:40000/api/orders/bench
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.95ms    1.10ms  30.01ms   91.02%
    Req/Sec    16.10k     1.02k   17.90k    70.00%
  Latency Distribution
     50%  812.00us
     75%    2.10ms
     90%    3.02ms
     99%    1.20s
  80123 requests in 5.00s, 20.10MB read
  Non-2xx or 3xx responses: 7
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  16024.60
Transfer/sec:      4.02MB
`;

describe("bench:gateway reads wrk's summary", () => {
  it("takes req/s, p50 and p99 in ms whatever unit wrk printed, and counts every error", () => {
    expect(parseWrk(WRK)).toEqual({ rps: 16024.6, p50: 0.812, p99: 1200, errors: 10 });
  });

  it("refuses output without the figures instead of reporting zeros", () => {
    expect(() => parseWrk("unable to connect to 127.0.0.1:1 Connection refused")).toThrow(/Requests\/sec|latency/);
  });
});

describe("bench:gateway gives the gateway a CPU of its own where it can", () => {
  const tools = spawnSync("sh", ["-c", "command -v taskset && command -v ss"]).status === 0;

  const noTools = tools ? "" : " (skipped: taskset or ss is not on PATH; Debian packages util-linux and iproute2)";
  if (noTools) console.warn(`[bench:gateway pinning]${noTools}`);
  it.skipIf(!tools)(`puts the native gateway on the last CPU and the load on the others${noTools}`, () => {
    expect(choosePinning("native", 2, true)).toEqual({ gatewayCpu: 1, loadCpus: "0" });
    expect(choosePinning("native", 8, true)).toEqual({ gatewayCpu: 7, loadCpus: "0-6" });
  });

  it("says why it does not pin: asked not to, one CPU, or a Docker gateway", () => {
    expect(choosePinning("native", 8, false)).toEqual({ reason: "--no-pin" });
    expect(choosePinning("native", 1, true)).toEqual({ reason: "one CPU" });
    expect(choosePinning("docker", 8, true)).toEqual({ reason: "the docker gateway is not pinned" });
  });
});

describe("bench:gateway reads the gateway's own CPU time", () => {
  const tools = spawnSync("sh", ["-c", "command -v ss && test -r /proc/self/stat"]).status === 0;
  const noTools = tools ? "" : " (skipped: needs ss and /proc)";
  it.skipIf(!tools)(`counts the CPU the processes listening on a port used${noTools}`, async () => {
    // This process listens, then uses 300 ms of CPU (counted as CPU, not wall time: the machine may be busy).
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const before = (await cpuSecondsOf(port))!;
      const start = process.cpuUsage();
      const used = () => {
        const { user, system } = process.cpuUsage(start);
        return (user + system) / 1e6;
      };
      while (used() < 0.3);
      const after = (await cpuSecondsOf(port))!;
      // /proc counts in 10 ms ticks.
      expect(after - before).toBeGreaterThanOrEqual(0.27);
      expect(await cpuSecondsOf(1)).toBe(0); // nothing listens on port 1
    } finally {
      server.close();
    }
  });
});

describe("bench:gateway crafts forged tokens that LuaJIT hashes alike (variant x)", () => {
  // "~" is not base64url: every character a variant replaces shows.
  const signature = "~".repeat(342);
  const forged = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmb3JnZWQifQ.${signature}`;
  const variants = Array.from({ length: 10_000 }, (_, n) => hashingAlike(forged, n));
  const prefix = forged.slice(0, forged.lastIndexOf(".") + 1);

  it("keeps the length, the header, the payload and both ends of the signature (what the hash always reads)", () => {
    for (const v of variants) {
      expect(v).toHaveLength(forged.length);
      expect(v.startsWith(prefix + "~".repeat(16))).toBe(true);
      expect(v.endsWith("~".repeat(16))).toBe(true);
    }
  });

  it("makes every variant a new header, spread over four places in the signature's middle", () => {
    expect(new Set(variants).size).toBe(variants.length);
    const places = new Set(variants.map((v) => [...v].findIndex((c, i) => c !== forged[i] && i >= prefix.length)));
    expect(places.size).toBe(4);
  });
});

describe("pairedRatio (b/a from rounds on two gateways that swap sides)", () => {
  it("cancels what one gateway process costs more than the other, whatever the factor", () => {
    for (const truth of [0.7, 0.87, 1, 1.2])
      for (const k of [0.8, 0.97, 1, 1.14]) {
        // The twin is k times cheaper: rounds where it carries (b) read truth*k, the swapped ones truth/k.
        const rounds = [truth * k, truth / k, truth * k, truth / k, truth * k, truth / k];
        expect(pairedRatio(rounds)).toBeCloseTo(truth, 10);
      }
  });

  it("is not the arithmetic mean (which an asymmetry between the gateways would bias upwards)", () => {
    expect(pairedRatio([0.9 * 1.14, 0.9 / 1.14])).toBeCloseTo(0.9, 10);
    expect((0.9 * 1.14 + 0.9 / 1.14) / 2).toBeGreaterThan(0.905);
  });

  it("refuses an odd number of rounds (one side's bias would stay) and a ratio that is not positive, naming them", () => {
    expect(() => pairedRatio([0.9, 1.0, 0.95])).toThrow(/swapped pairs: got 3/);
    expect(() => pairedRatio([])).toThrow(/got 0/);
    expect(() => pairedRatio([0.9, 0])).toThrow(/positive: got 0.9, 0/);
    expect(() => pairedRatio([0.9, Number.NaN])).toThrow(/positive: got 0.9, NaN/);
  });
});

describe("pairedMedian (bench:lua-ab's figure beside pairedRatio)", () => {
  it("cancels the process factor within each pair, like pairedRatio", () => {
    for (const truth of [0.9, 1, 1.05]) for (const k of [0.8, 1.14]) expect(pairedMedian([truth * k, truth / k, truth * k, truth / k])).toBeCloseTo(truth, 10);
  });

  it("is moved by a disturbed round only within its pair, where the geometric mean over rounds moves with it", () => {
    const rounds = [1, 1, 1, 1, 1.3, 1, 1, 1];
    expect(pairedMedian(rounds)).toBeCloseTo(1, 10);
    expect(pairedRatio(rounds)).toBeGreaterThan(1.03);
  });

  it("takes the middle pair of an odd count and the geometric mean of the two middle ones of an even count", () => {
    expect(pairedMedian([0.81, 1, 1, 1, 1.21, 1])).toBeCloseTo(1, 10);
    expect(pairedMedian([0.81, 1, 1.21, 1])).toBeCloseTo(Math.sqrt(0.9 * 1.1), 10);
  });

  it("refuses what pairedRatio refuses", () => {
    expect(() => pairedMedian([0.9, 1.0, 0.95])).toThrow(/swapped pairs: got 3/);
    expect(() => pairedMedian([0.9, -1])).toThrow(/positive/);
  });
});

describe("freshWorkers (each paired round pair on new worker processes)", () => {
  const gatewayWith = (reloads: Array<Record<string, string>> | undefined) =>
    ({ reloadPlugins: reloads ? async (files: Record<string, string>) => void reloads.push(files) : undefined }) as unknown as RunningGateway;

  it("reloads every gateway with the project's own plugins, once per call", async () => {
    const [one, two]: Array<Array<Record<string, string>>> = [[], []];
    const reload = freshWorkers([gatewayWith(one), gatewayWith(two)]);
    expect(reload).toBeDefined();
    await reload!();
    await reload!();
    expect(one).toEqual([projectPluginFiles(), projectPluginFiles()]);
    expect(two).toEqual([projectPluginFiles(), projectPluginFiles()]);
  });

  it("is undefined where a runtime cannot reload (the pairs then keep their processes)", () => {
    expect(freshWorkers([gatewayWith([]), gatewayWith(undefined)])).toBeUndefined();
  });
});

describe("ratioTargetMet (a target read as met only when the paired figure agrees)", () => {
  it("needs the sequential median and the paired figure both at or above the goal", () => {
    const goal = 0.85;
    for (const sequential of [0.5, 0.849, 0.85, 0.864, 1.2])
      for (const paired of [undefined, 0.6, 0.77, 0.849, 0.85, 0.9, 1.1])
        expect(ratioTargetMet(sequential, paired, goal), `${sequential} / ${paired}`).toBe(sequential >= goal && (paired === undefined || paired >= goal));
  });

  it("refuses the 22:51 run's many-users reading: sequential 0.864, paired 0.770", () => {
    expect(ratioTargetMet(0.864, 0.77, 0.85)).toBe(false);
    expect(ratioTargetMet(0.864, undefined, 0.85)).toBe(true);
  });

  it("throws on a ratio that is not a number rather than calling it met or not", () => {
    expect(() => ratioTargetMet(Number.NaN, 0.9, 0.85)).toThrow(/sequential ratio must be a number: got NaN/);
    expect(() => ratioTargetMet(0.9, Number.POSITIVE_INFINITY, 0.85)).toThrow(/paired ratio must be a number/);
  });
});
