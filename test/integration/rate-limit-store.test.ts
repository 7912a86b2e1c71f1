/**
 * Rate limits that hold across replicas: two native APISIX 3.18.0 processes,
 * rendered with `gateway.rateLimits.store: redis`, share one real Redis
 * server (Debian's redis-server on a loopback port, with a password the
 * gateways read through `$env://`, as the pod reads it from a Secret), so
 * they enforce ONE budget per caller. And what happens when Redis is
 * unreachable: deny (the default) or allow, as the spec says.
 * Native only (needs APISIX_HOME and redis-server); skips saying why
 * elsewhere; GATEWAY_E2E_REQUIRED=native makes a skip a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RATE_LIMIT_PASSWORD_ENV } from "../../components/gateway";
import { decisionsFor, parseDecisionLog } from "./support/decision-log";
import { E2E_REQUIRED } from "./support/environment";
import type { RunningGateway } from "./support/gateway-runtime";
import { startGatewayTopology, type GatewayTopology } from "./support/gateway-topology";
import { reachedUpstream, send } from "./support/http";
import { findNativeApisix, startNativeGateway } from "./support/native-apisix";
import { redisServerProblem, redisStoreFiles, startRedis, type RunningRedis } from "./support/redis";
import { CALLERS, LIMIT } from "./support/spec";
import { clientCredentialsToken } from "./support/tokens";

const native = process.env.GATEWAY_E2E === "off" ? { reason: "disabled with GATEWAY_E2E=off" } : findNativeApisix();
const skip = native.reason ?? redisServerProblem();
if (skip) console.warn(`\n[rate-limit store] SKIPPED: ${skip}\n`);

if (skip && E2E_REQUIRED === "native") {
  describe("rate-limit store requirement", () => {
    it("is met (GATEWAY_E2E_REQUIRED=native)", () => {
      throw new Error(`the Redis rate-limit tests cannot run: ${skip}`);
    });
  });
}

describe.skipIf(!!skip)("rate limits in Redis: two gateways, one budget", () => {
  let t: GatewayTopology;
  let redis: RunningRedis;
  const tokens: Record<string, string> = {};

  const startWithRedis = (port: number, whenUnavailable: "deny" | "allow" = "deny", password = redis.password) =>
    t.startGateway(() => redisStoreFiles(t.spec.keycloak.publicUrl, port, whenUnavailable), { [RATE_LIMIT_PASSWORD_ENV]: password });

  let a: RunningGateway;
  let b: RunningGateway;
  beforeAll(async () => {
    [t, redis] = await Promise.all([startGatewayTopology((l) => startNativeGateway(native.home!, l)), startRedis()]);
    const realm = { baseUrl: t.idp.issuer.replace(/\/realms\/.*$/, ""), realm: t.spec.realm.name };
    for (const c of CALLERS)
      tokens[c.role] = await clientCredentialsToken(realm, c.clientId, t.idp.model.clients.find((x) => x.clientId === c.clientId)!.secret!);
    [a, b] = await Promise.all([startWithRedis(redis.port), startWithRedis(redis.port)]);
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await redis?.stop();
  });

  const get = (gw: RunningGateway, role: string, path = "/api/limited/item") => send(gw.http, "GET", path, { authorization: `Bearer ${tokens[role]}` });

  it(`two gateway processes enforce one budget per caller: ${LIMIT.requests} requests in all, whichever gateway serves them`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT.requests + 3; i++) statuses.push((await get(i % 2 === 0 ? a : b, "viewer")).status);
    expect(statuses).toEqual([...Array(LIMIT.requests).fill(200), 429, 429, 429]);
    // Both gateways refuse now, and another caller still has its whole budget on both.
    expect((await get(a, "viewer")).status).toBe(429);
    expect((await get(b, "viewer")).status).toBe(429);
    expect(reachedUpstream(await get(a, "writer"))).toBe(true);
    expect(reachedUpstream(await get(b, "writer"))).toBe(true);
  });

  it("keeps the counters in Redis, one per route and caller (positive control: the budget is not per process)", () => {
    // One counter per route and caller, named the same by every process (the limit-count group).
    // The counter is named by the route's id: its service, path and methods (stable as other routes come and go).
    expect(redis.cli("--scan").split("\n")).toContain("plugin-limit-count:v1:apisix:echo.api_limited_all.get:client:caller-viewer");
  });

  it("fails closed while Redis is unreachable (whenUnavailable: deny, the default): 500 on limited routes, logged gateway_error; other routes unaffected", async () => {
    const dead = await startWithRedis(1, "deny");
    const reply = await get(dead, "admin");
    expect(reply.status).toBe(500);
    expect(reachedUpstream(reply)).toBe(false);
    expect(reachedUpstream(await get(dead, "admin", "/api/orders/item"))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const [lines] = decisionsFor(parseDecisionLog(await dead.decisionLog()), [String(reply.headers["x-request-id"])]).values();
    expect(lines.map((d) => [d.status, d.decision, d.reason])).toEqual([[500, "deny", "gateway_error"]]);
  });

  it("with the wrong password it fails closed too (the password really is required)", async () => {
    const wrong = await startWithRedis(redis.port, "deny", "not-the-password");
    expect((await get(wrong, "admin")).status).toBe(500);
  });

  it("fails open only when the spec says so (whenUnavailable: allow): limited routes pass, unlimited", async () => {
    const open = await startWithRedis(1, "allow");
    for (let i = 0; i < LIMIT.requests + 2; i++) expect(reachedUpstream(await get(open, "admin"))).toBe(true);
  });
});
