/**
 * `npm run drill`: what the gateway does when something fails, measured on
 * the real APISIX 3.18.0 with this project's rendering (loopback only):
 *   1. the identity provider's outage (bearer tokens seen and never seen, a
 *      session, sign-ins), then its return;
 *   2. services that refuse, hang, reset before and during their answer;
 *   3. a graceful stop with keep-alive requests in flight;
 *   4. a soak of mixed traffic (--soak-seconds, default 600; --soak-rate, default 100/s).
 * Prints a table per drill and one closing line; exits 1 when any drill
 * misses what the docs promise. Needs a native APISIX (APISIX_HOME).
 */
import { TestBrowser } from "../test/integration/support/browser";
import { chooseGatewayRuntime, startGatewayTopology } from "../test/integration/support/gateway-topology";
import { send } from "../test/integration/support/http";
import { ALIASES, OUTAGE_BOUND_SECONDS, PORTAL_URL, PORTAL_USER } from "../test/integration/support/spec";
import { TokenForge, clientCredentialsToken } from "../test/integration/support/tokens";
import { runIdpOutageDrill, type OutageResult } from "../test/integration/drills/idp-outage";
import { FAULT_SERVICES, runUpstreamFaultDrill, type FaultDrillResult } from "../test/integration/drills/upstream-faults";
import { runGracefulStopDrill, type GracefulStopResult } from "../test/integration/drills/graceful-stop";
import { runSoak, soakClasses, type SoakResult } from "../test/integration/drills/soak";
import { machine, numberArg } from "./lib/run-facts";

const SLACK_MS = 1500;

/** The outage as the policy says: 200 up to the bound, 401 once the keys' refresh plus the bound has passed (either in between). */
function outageFigures(r: OutageResult, ttl: number) {
  const secondsIn = (at: number) => (at - r.downAt) / 1000;
  const asPolicy = r.probes.filter((p) => {
    const s = secondsIn(p.at);
    if (s < OUTAGE_BOUND_SECONDS - 1) return p.bearer.every((x) => x === 200);
    if (s > ttl + OUTAGE_BOUND_SECONDS + 2) return p.bearer.every((x) => x === 401);
    return p.bearer.every((x) => x === 200 || x === 401);
  });
  const waits = r.probes.map((p) => p.waited).sort((a, b) => a - b);
  const signInOk = r.signIn.warmRedirect.status === 302 && r.signIn.coldGateway.status === 503 && r.signIn.callbackMidway.status === 503;
  return {
    servedPercent: (100 * asPolicy.length) / r.probes.length,
    maxWait: Math.max(...waits, ...Object.values(r.signIn).map((s) => s.ms), r.stalled.bearerMs, r.stalled.coldSignIn.ms),
    p99: waits[Math.floor(waits.length * 0.99)],
    ok:
      asPolicy.length === r.probes.length &&
      signInOk &&
      r.recoveredSeconds < 1 &&
      r.jwksAfterRecovery <= 2 &&
      r.sessionAfterRecovery === 200 &&
      r.stalled.bearerStatus === 200 &&
      r.stalled.bearerMs < 1000 &&
      r.stalled.coldSignIn.status === 503 &&
      r.stalled.coldSignIn.ms < 4500,
  };
}

function faultFigures(d: FaultDrillResult) {
  const ok =
    d.cases.every(
      (c) =>
        c.outcome.status === c.expected.status &&
        !!c.outcome.error === !!c.expected.truncated &&
        c.decision?.reason === c.expected.reason &&
        c.outcome.waitedMs < c.boundMs + SLACK_MS,
    ) && d.healthy.every((h) => h.status === 200);
  return { ok, maxWait: Math.max(...d.cases.map((c) => c.outcome.waitedMs)) };
}

function printOutage(r: OutageResult, f: ReturnType<typeof outageFigures>): void {
  console.log("\n## 1. Identity provider outage");
  console.log(`| probes (every 0.5 s: a seen token, a new token, a session API call) | ${r.probes.length} |`);
  console.log(`| as the outage policy says | ${f.servedPercent.toFixed(1)}% |`);
  console.log(`| bearer 200 until | ${((r.probes.find((p) => p.bearer.includes(401))?.at ?? NaN) - r.downAt) / 1000} s into the outage |`);
  console.log(`| session API 200 until | ${((r.probes.find((p) => p.session !== 200)?.at ?? NaN) - r.downAt) / 1000} s (renewal due), then 401 |`);
  console.log(
    `| sign-in: warm gateway / cold gateway / callback mid-way | ${r.signIn.warmRedirect.status} / ${r.signIn.coldGateway.status} / ${r.signIn.callbackMidway.status} |`,
  );
  console.log(`| probes (3 requests each): longest, p99 | ${Math.max(...r.probes.map((p) => p.waited))} ms, ${f.p99} ms |`);
  console.log(`| longest wait of any request, sign-ins included | ${f.maxWait} ms |`);
  console.log(
    `| realm hanging instead: bearer (cached keys) / cold sign-in | ${r.stalled.bearerStatus} in ${r.stalled.bearerMs} ms / ${r.stalled.coldSignIn.status} in ${r.stalled.coldSignIn.ms} ms (openid-connect's 3 s timeout) |`,
  );
  console.log(
    `| recovered after the return | ${r.recoveredSeconds.toFixed(2)} s, ${r.jwksAfterRecovery} JWKS requests over 20 probes; session ${r.sessionAfterRecovery} |`,
  );
}

function printFaults(d: FaultDrillResult): void {
  console.log("\n## 2. Upstream faults (timeouts connect 1 s, send 2 s, read 2 s)");
  console.log("| fault | status | reason | upstream_status | waited (max) |\n|---|---|---|---|---|");
  for (const name of [...new Set(d.cases.map((c) => c.name))]) {
    const runs = d.cases.filter((c) => c.name === name);
    const r = runs[0];
    console.log(
      `| ${name} | ${r.outcome.status}${r.outcome.error ? ` (${r.outcome.error})` : ""} | ${r.decision?.reason ?? "no line"} | ${r.decision?.upstream_status ?? "-"} | ${Math.max(...runs.map((x) => x.outcome.waitedMs))} ms |`,
    );
  }
  console.log(
    `| a healthy service meanwhile | ${d.healthy.filter((h) => h.status === 200).length} of ${d.healthy.length} 200 | | | ${Math.max(...d.healthy.map((h) => h.waitedMs))} ms |`,
  );
}

function printSoak(s: SoakResult): void {
  const growth = (100 * (s.rssKiB.end - s.rssKiB.start)) / s.rssKiB.start;
  console.log(`\n## 4. Soak: ${s.requests} requests in ${s.seconds.toFixed(0)} s`);
  console.log("| class | statuses |\n|---|---|");
  for (const [name, statuses] of Object.entries(s.byClass)) console.log(`| ${name} | ${JSON.stringify(statuses)} |`);
  console.log(`| unexpected | ${s.unexpected}${s.examples.length ? ` (${s.examples.join("; ")})` : ""} |`);
  console.log(
    `| worker RSS after warm-up / half-way / end | ${s.rssKiB.start} / ${s.rssKiB.half} / ${s.rssKiB.end} KiB (${growth.toFixed(1)}%; shared-dict pages count as first touched) |`,
  );
  console.log(
    `| worker private memory after warm-up / half-way / end | ${s.privateKiB.start} / ${s.privateKiB.half} / ${s.privateKiB.end} KiB (${((100 * (s.privateKiB.end - s.privateKiB.start)) / s.privateKiB.start).toFixed(1)}%) |`,
  );
  console.log(`| decision-log lines | ${s.decisionLines} for ${s.requests} requests |`);
  console.log(`| p99 latency | ${s.p99Ms} ms |`);
}

async function main(): Promise<void> {
  const soakSeconds = numberArg("soak-seconds", 600);
  const soakRate = numberArg("soak-rate", 100);
  const runtime = await chooseGatewayRuntime();
  if (runtime.kind !== "native")
    throw new Error(`drill needs a native APISIX (graceful stops and worker memory are read from its processes): ${runtime.reason ?? `found ${runtime.kind}`}`);
  console.log(`# Drills on ${machine()}`);
  const t = await startGatewayTopology(runtime.start!, { more: FAULT_SERVICES });
  try {
    const realm = { baseUrl: new URL(t.idp.issuer).origin, realm: t.spec.realm.name };
    const viewer = t.idp.model.clients.find((c) => c.clientId === "caller-viewer")!;
    const token = () => clientCredentialsToken(realm, viewer.clientId, viewer.secret!);
    const forge = new TokenForge({ issuer: t.idp.issuer, audience: t.spec.clients.gateway.clientId }, t.idp.testKey);
    const user = t.idp.model.users.find((u) => u.username === PORTAL_USER)!;
    const browserAddresses = { [`${ALIASES.gateway}:9080`]: t.gateway.http, [`${t.idp.address.host}:${t.idp.address.port}`]: t.idp.address };

    const seenToken = await token();
    await send(t.gateway.http, "GET", "/api/orders/outage", { authorization: `Bearer ${seenToken}` });
    let serial = 0;
    const outage = await runIdpOutageDrill({
      spec: t.spec,
      gateway: t.gateway.http,
      idp: t.idp,
      seenToken,
      freshToken: () => forge.valid(["viewer"], { sub: `drill-${++serial}` }),
      startGateway: () => t.startGateway(),
      browserAddresses,
      portalUrl: PORTAL_URL,
      user: { username: user.username, password: user.password! },
      boundSeconds: OUTAGE_BOUND_SECONDS,
      bearerPath: "/api/orders/outage",
    });
    const o = outageFigures(outage, Math.floor(t.spec.gateway.jwksCacheSeconds / 2));
    printOutage(outage, o);

    const faults = await runUpstreamFaultDrill({
      gateway: t.gateway.http,
      token: await token(),
      decisionLog: () => t.gateway.decisionLog(),
      healthyPath: "/api/orders/healthy",
    });
    const f = faultFigures(faults);
    printFaults(faults);

    const stop: GracefulStopResult = await runGracefulStopDrill(await t.startGateway(), await token(), {
      connections: 64,
      delayMs: 1500,
      quickPath: "/api/orders/warm",
      slowPath: (ms) => `/api/faults/slow/${ms}`,
    });
    console.log(
      `\n## 3. Graceful stop\n| in flight on keep-alive connections | ${stop.inFlight} |\n| failed | ${stop.failed}${stop.failures.length ? ` (${stop.failures.slice(0, 3).join("; ")})` : ""} |\n| exit after the signal | ${stop.exitMs} ms |\n| new connections after the signal refused | ${stop.newConnectionsRefused} |`,
    );

    const browser = new TestBrowser(browserAddresses);
    await browser.signIn(`${PORTAL_URL}/home/soak`, { username: user.username, password: user.password! });
    const classes = await soakClasses({ viewerToken: token, forge, distinctTokens: 3000, sessionCall: () => browser.request("GET", `${PORTAL_URL}/api/soak`) });
    const soak = await runSoak({
      gateway: t.gateway.http,
      classes,
      seconds: soakSeconds,
      rate: soakRate,
      workerPids: () => t.gateway.workerPids!(),
      decisionLog: () => t.gateway.decisionLog(),
    });
    printSoak(soak);
    const growth = (100 * (soak.rssKiB.end - soak.rssKiB.start)) / soak.rssKiB.start;
    const secondHalf = (100 * (soak.rssKiB.end - soak.rssKiB.half)) / soak.rssKiB.half;
    const privateGrowth = (100 * (soak.privateKiB.end - soak.privateKiB.start)) / soak.privateKiB.start;

    console.log(
      `\ndrills: IdP outage ${o.servedPercent.toFixed(0)}% served as policy, max wait ${o.maxWait} ms, recovered in ${outage.recoveredSeconds.toFixed(1)} s; upstream faults statuses ${f.ok ? "ok" : "WRONG"}, max wait ${f.maxWait} ms; shutdown ${stop.failed} failed of ${stop.inFlight} in flight; soak ${soak.unexpected} unexpected, RSS growth ${growth.toFixed(1)}% (${secondHalf.toFixed(1)}% in its second half, private ${privateGrowth.toFixed(1)}%)`,
    );
    // Caches fill during warm-up; what grows after that would grow with traffic.
    const ok =
      o.ok && f.ok && stop.failed === 0 && stop.newConnectionsRefused && soak.unexpected === 0 && soak.decisionLines === soak.requests && secondHalf <= 5;
    if (!ok) process.exitCode = 1;
  } finally {
    await t.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
