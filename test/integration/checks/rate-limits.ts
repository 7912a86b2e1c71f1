import { describe, expect, it } from "vitest";
import { decisionsFor, parseDecisionLog } from "../support/decision-log";
import type { Address } from "../support/gateway-runtime";
import { reachedUpstream, send, type Reply } from "../support/http";
import { LIMIT } from "../support/spec";
import { claimsOf } from "../support/tokens";
import type { Ctx } from "./context";

const PROTECTED = "/api/limited/item";
const PUBLIC = "/api/limited-public";

/**
 * Spends what is left of a budget in the current window (X-RateLimit-Remaining
 * says how much), then asks once more. Returns the replies: every one but the
 * last must have reached the service.
 */
export async function exhaust(gateway: Address, path: string, headers: Record<string, string>): Promise<Reply[]> {
  const first = await send(gateway, "GET", path, headers);
  const replies = [first];
  if (first.status === 429) return replies;
  const remaining = Number(first.headers["x-ratelimit-remaining"]);
  expect(remaining, "X-RateLimit-Remaining").toBeLessThan(LIMIT.requests);
  for (let i = 0; i < remaining; i++) replies.push(await send(gateway, "GET", path, headers));
  replies.push(await send(gateway, "GET", path, headers));
  return replies;
}

/**
 * Limits per identity: a verified caller's budget is the token's subject (or
 * its service account's client), a public route's is the client address, and
 * nothing a client sends in a header moves a request into another budget.
 */
export function describeRateLimits(ctx: Ctx): void {
  describe("rate limits per identity", () => {
    it(`a caller over its limit (${LIMIT.requests} per ${LIMIT.window}) gets 429 with Retry-After, while another caller is unaffected`, async () => {
      const viewer = { authorization: `Bearer ${ctx().tokens.viewer}` };
      const replies = await exhaust(ctx().gateway, PROTECTED, viewer);
      const last = replies.at(-1)!;
      expect(replies.slice(0, -1).every(reachedUpstream)).toBe(true);
      expect(replies[0].headers["x-ratelimit-limit"]).toBe(String(LIMIT.requests));
      expect(last.status).toBe(429);
      expect(reachedUpstream(last)).toBe(false);
      expect(JSON.parse(last.body)).toEqual({ error_msg: "rate_limited" });
      const retryAfter = Number(last.headers["retry-after"]);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(LIMIT.windowSeconds);
      expect(last.headers["x-ratelimit-remaining"]).toBe("0");

      const other = await send(ctx().gateway, "GET", PROTECTED, { authorization: `Bearer ${ctx().tokens.writer}` });
      expect(reachedUpstream(other)).toBe(true);

      await new Promise((r) => setTimeout(r, 300));
      const [logged] = decisionsFor(parseDecisionLog(await ctx().decisionLog()), [last.headers["x-request-id"] as string]).values();
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        status: 429,
        decision: "deny",
        reason: "rate_limited",
        sub: claimsOf(ctx().tokens.viewer).sub,
        client_id: "caller-viewer",
      });
    });

    it("a client-supplied identity or address header cannot move a request into another budget", async () => {
      const admin = { authorization: `Bearer ${ctx().tokens.admin}` };
      expect((await exhaust(ctx().gateway, PROTECTED, admin)).at(-1)!.status).toBe(429);
      const writer = claimsOf(ctx().tokens.writer);
      const spoofs: Record<string, string>[] = [
        { "x-user-id": writer.sub, "x-client-id": "caller-writer", "x-tenant-id": "acme" },
        { "x-forwarded-for": "203.0.113.7", "x-real-ip": "203.0.113.7" },
        { "x-userinfo": Buffer.from(JSON.stringify({ sub: writer.sub, azp: "caller-writer" })).toString("base64") },
      ];
      for (const spoof of spoofs) expect((await send(ctx().gateway, "GET", PROTECTED, { ...admin, ...spoof })).status, JSON.stringify(spoof)).toBe(429);

      // Public: the budget is the connection's address, whatever the caller claims to forward for.
      expect((await exhaust(ctx().gateway, PUBLIC, {})).at(-1)!.status).toBe(429);
      const addressSpoofs: Record<string, string>[] = [
        { "x-forwarded-for": "198.51.100.1" },
        { "x-real-ip": "198.51.100.2" },
        { forwarded: "for=198.51.100.3" },
      ];
      for (const spoof of addressSpoofs) {
        expect((await send(ctx().gateway, "GET", PUBLIC, spoof)).status, JSON.stringify(spoof)).toBe(429);
      }
    });

    it("a service account's budget is its client's, whatever subject its tokens carry; users' budgets are their own", async () => {
      const bearer = async (sub: string, azp: string) => ({ authorization: `Bearer ${await ctx().forge.valid(["viewer"], { sub, azp })}` });
      // caller-admin is a service client of the spec: tokens with other subjects still share its budget.
      expect((await exhaust(ctx().gateway, PROTECTED, await bearer("sa-instance-1", "caller-admin"))).at(-1)!.status).toBe(429);
      expect((await send(ctx().gateway, "GET", PROTECTED, await bearer("sa-instance-2", "caller-admin"))).status).toBe(429);
      // "web" is a browser client: each user its own budget.
      expect((await exhaust(ctx().gateway, PROTECTED, await bearer("user-a", "web"))).at(-1)!.status).toBe(429);
      expect(reachedUpstream(await send(ctx().gateway, "GET", PROTECTED, await bearer("user-b", "web")))).toBe(true);
    });
  });
}
