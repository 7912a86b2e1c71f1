/**
 * The gateway tier's fault drills (the deterministic part of `npm run drill`):
 * services that fail, and a gateway stopped with requests in flight, on the
 * real APISIX running the project's rendering. Skips, saying why, where no
 * APISIX can run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAULT_CASES, FAULT_SERVICES, runUpstreamFaultDrill, type FaultDrillResult } from "./drills/upstream-faults";
import { runGracefulStopDrill } from "./drills/graceful-stop";
import { runSoak, soakClasses } from "./drills/soak";
import { TestBrowser } from "./support/browser";
import { ALIASES, PORTAL_URL, PORTAL_USER } from "./support/spec";
import { TokenForge } from "./support/tokens";
import { chooseGatewayRuntime, startGatewayTopology, type GatewayTopology } from "./support/gateway-topology";
import { clientCredentialsToken } from "./support/tokens";

const runtime = await chooseGatewayRuntime();
if (!runtime.kind) console.warn(`\n[fault drills] SKIPPED: ${runtime.reason}\n`);

/** What the gateway's own work may add to a phase's timeout (a loaded CI machine). */
const SLACK_MS = 1500;

describe.skipIf(!runtime.kind)(`fault drills: APISIX 3.18.0 (${runtime.kind ?? `skipped: ${runtime.reason}`})`, () => {
  let t: GatewayTopology;
  let token: string;
  let drill: FaultDrillResult;

  beforeAll(async () => {
    t = await startGatewayTopology(runtime.start!, { more: FAULT_SERVICES });
    const realm = { baseUrl: t.idp.issuer.replace(/\/realms\/.*$/, ""), realm: t.spec.realm.name };
    token = await clientCredentialsToken(realm, "caller-viewer", t.idp.model.clients.find((c) => c.clientId === "caller-viewer")!.secret!);
    drill = await runUpstreamFaultDrill({ gateway: t.gateway.http, token, decisionLog: () => t.gateway.decisionLog(), healthyPath: "/api/orders/healthy" });
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
  });

  describe("a service that fails gets a bounded, documented answer, and the decision log names the failure", () => {
    it.each(FAULT_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      const runs = drill.cases.filter((r) => r.name === c.name);
      expect(runs.length).toBeGreaterThan(0);
      for (const r of runs) {
        expect(r.outcome.status, JSON.stringify(r.outcome)).toBe(c.expected.status);
        // A 200 cut short reaches the caller as a broken response, never as a whole one.
        expect(!!r.outcome.error, JSON.stringify(r.outcome)).toBe(!!c.expected.truncated);
        expect(r.outcome.waitedMs).toBeLessThan(c.boundMs + SLACK_MS);
        expect(r.decision, `decision line for ${r.outcome.requestId}`).toBeDefined();
        expect({ reason: r.decision!.reason, decision: r.decision!.decision, upstream_status: r.decision!.upstream_status }).toEqual({
          reason: c.expected.reason,
          decision: "allow",
          upstream_status: c.expected.upstreamStatus,
        });
      }
    });

    it("a hung service is given its read timeout, not less: the 504 comes after the configured seconds", () => {
      const hung = drill.cases.filter((r) => r.expected.reason === "upstream_timeout");
      for (const r of hung) expect(r.outcome.waitedMs).toBeGreaterThanOrEqual(r.boundMs - 3000 - 100);
    });

    it("no other service notices: a healthy one answers at once while the failing ones hold their connections", () => {
      expect(drill.healthy.map((h) => h.status)).toEqual(drill.healthy.map(() => 200));
      expect(Math.max(...drill.healthy.map((h) => h.waitedMs))).toBeLessThan(1000);
    });
  });

  describe("a short soak of mixed traffic (npm run drill runs it for 10 minutes)", () => {
    it("gives every request a status its kind allows, and the decision log one line per request", async () => {
      const forge = new TokenForge({ issuer: t.idp.issuer, audience: t.spec.clients.gateway.clientId }, t.idp.testKey);
      const browser = new TestBrowser({ [`${ALIASES.gateway}:9080`]: t.gateway.http, [`${t.idp.address.host}:${t.idp.address.port}`]: t.idp.address });
      const user = t.idp.model.users.find((u) => u.username === PORTAL_USER)!;
      await browser.signIn(`${PORTAL_URL}/home/soak`, { username: user.username, password: user.password! });
      const classes = await soakClasses({
        viewerToken: async () => token,
        forge,
        distinctTokens: 200,
        sessionCall: () => browser.request("GET", `${PORTAL_URL}/api/soak`),
      });
      const soak = await runSoak({
        gateway: t.gateway.http,
        classes,
        seconds: 12,
        rate: 60,
        workerPids: () => t.gateway.workerPids?.() ?? [],
        decisionLog: () => t.gateway.decisionLog(),
      });
      console.log(
        `[soak] ${soak.requests} requests in ${soak.seconds.toFixed(0)} s: ${soak.unexpected} unexpected; ${soak.decisionLines} decision lines; p99 ${soak.p99Ms} ms`,
      );
      expect(soak.examples).toEqual([]);
      expect(soak.requests).toBeGreaterThan(500);
      expect(Object.keys(soak.byClass)).toHaveLength(classes.length);
      expect(soak.decisionLines).toBe(soak.requests);
    }, 90_000);
  });

  describe.skipIf(runtime.kind !== "native")(
    `a graceful stop with requests in flight${runtime.kind === "native" ? "" : " (skipped: signalling the official image's nginx from here is not wired; the native runtime runs it)"}`,
    () => {
      it("completes every request it accepted on keep-alive connections, stops taking new connections, and exits once they are done", async () => {
        const gateway = await t.startGateway();
        const result = await runGracefulStopDrill(gateway, token, {
          connections: 24,
          delayMs: 1500,
          quickPath: "/api/orders/warm",
          slowPath: (ms) => `/api/faults/slow/${ms}`,
        });
        console.log(
          `[graceful stop] ${result.failed} failed of ${result.inFlight} in flight; exited ${result.exitMs} ms after the signal; new connections refused: ${result.newConnectionsRefused}`,
        );
        expect(result.failures).toEqual([]);
        expect(result.inFlight).toBe(24);
        expect(result.newConnectionsRefused).toBe(true);
        // It waited for them (about the delay), and not much longer.
        expect(result.exitMs).toBeGreaterThan(1000);
        expect(result.exitMs).toBeLessThan(1500 + 5000);
      }, 60_000);
    },
  );
});
