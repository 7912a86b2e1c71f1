import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { decisionsFor, parseDecisionLog, type Decision } from "../support/decision-log";
import { echoedHeaders, send, type Reply } from "../support/http";
import { tamper } from "../support/tokens";
import type { Ctx } from "./context";

const PATH = "/api/orders/fast-path";
const IDENTITY = ["x-user-id", "x-user-role", "x-tenant-id", "x-client-id", "x-token-issued-at"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The verified-token fast path: once openid-connect has verified a token on
 * a worker, that worker answers the token's next requests from memory
 * (openid-connect stands aside) with the same identity, never past the
 * token's exp, and anything but that exact token is verified from scratch.
 * The decision log's `claims_from` says which path each request took.
 */
export function describeVerifiedTokenFastPath(ctx: Ctx): void {
  describe("the verified-token fast path", () => {
    let serial = 0;
    /** A valid viewer token nobody has sent yet (its own subject), `extra` claims on top. */
    const freshToken = (extra: Record<string, unknown> = {}) => ctx().forge.valid(["viewer"], { sub: `fast-path-${process.pid}-${++serial}`, ...extra });
    const get = (token: string, path = PATH) => send(ctx().gateway, "GET", path, { authorization: `Bearer ${token}` });

    async function sequence(token: string, count: number): Promise<Reply[]> {
      const replies: Reply[] = [];
      for (let i = 0; i < count; i++) replies.push(await get(token));
      return replies;
    }

    /** The decision-log line of each reply, in order (exactly one each). */
    async function linesOf(replies: Reply[]): Promise<Decision[]> {
      await sleep(300);
      const found = decisionsFor(
        parseDecisionLog(await ctx().decisionLog()),
        replies.map((r) => String(r.headers["x-request-id"])),
      );
      return replies.map((r) => {
        const lines = found.get(String(r.headers["x-request-id"]))!;
        expect(lines).toHaveLength(1);
        return lines[0];
      });
    }

    const identityOf = (reply: Reply) => Object.fromEntries(IDENTITY.map((h) => [h, echoedHeaders(reply)[h]]));

    it("a token's first request is verified by openid-connect; its next ones come from memory, with the same identity", async () => {
      const token = await freshToken();
      const replies = await sequence(token, 12);
      expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
      const first = identityOf(replies[0]);
      expect(first["x-user-id"]).toEqual([`fast-path-${process.pid}-${serial}`]);
      expect(first["x-user-role"]).toEqual(["viewer"]);
      for (const r of replies) expect(identityOf(r)).toEqual(first);
      for (const r of replies) expect(echoedHeaders(r)["x-userinfo"]).toBeUndefined();

      const origins = (await linesOf(replies)).map((d) => d.claims_from);
      expect(origins[0]).toBe("openid-connect");
      // Each nginx worker verifies the token once (a request may land on any of them).
      const verified = origins.filter((o) => o === "openid-connect").length;
      expect(verified).toBeLessThanOrEqual(availableParallelism());
      expect(origins.filter((o) => o === "fast-path").length).toBe(12 - verified);
    });

    it("forgets a token at its exp: after it, openid-connect judges every request again", async () => {
      const exp = nowSeconds() + 3;
      const token = await freshToken({ exp });
      const before = await sequence(token, 4);
      expect((await linesOf(before)).map((d) => d.claims_from)).toContain("fast-path");
      await sleep((exp + 1 - Date.now() / 1000) * 1000);
      // Past exp but within the 60 s clock skew: still accepted, never from memory.
      const after = await sequence(token, 6);
      expect(after.map((r) => r.status)).toEqual(after.map(() => 200));
      expect((await linesOf(after)).map((d) => d.claims_from)).toEqual(after.map(() => "openid-connect"));
    });

    it("refuses a token that expired more than 60 s ago, which openid-connect alone would still take (it allows 120 s)", async () => {
      const late = await get(await freshToken({ iat: nowSeconds() - 330, exp: nowSeconds() - 90 }));
      expect(late.status).toBe(401);
      const [line] = await linesOf([late]);
      expect(line.reason).toBe("expired_token");
      // Control: within the skew it is accepted.
      expect((await get(await freshToken({ iat: nowSeconds() - 330, exp: nowSeconds() - 30 }))).status).toBe(200);
    });

    it("verifies altered copies of a remembered token from scratch, and refuses them", async () => {
      const token = await freshToken();
      const remembered = await sequence(token, 4);
      expect((await linesOf(remembered)).map((d) => d.claims_from)).toContain("fast-path");
      const raised = tamper(token, (p) => (p.realm_access = { roles: ["admin"] }));
      const [header, payload, signature] = token.split(".");
      const resigned = `${header}.${payload}.${signature.slice(0, -4)}${signature.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
      for (const altered of [raised, resigned]) {
        const reply = await get(altered, "/api/admin/fast-path");
        expect(reply.status).toBe(401);
        expect((await linesOf([reply]))[0].claims_from).toBeNull();
      }
      // The remembered token itself still has only its own roles.
      expect((await get(token, "/api/admin/fast-path")).status).toBe(403);
    });
  });
}
