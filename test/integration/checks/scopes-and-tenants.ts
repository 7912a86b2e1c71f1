import { describe, expect, it } from "vitest";
import { decisionsFor, parseDecisionLog } from "../support/decision-log";
import { echoedHeaders, reachedUpstream, send, sendRaw } from "../support/http";
import { API_SCOPES, UNSCOPED_CALLER } from "../support/spec";
import { claimsOf } from "../support/tokens";
import type { Ctx } from "./context";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHALLENGE = /^Bearer realm="e2e", error="insufficient_scope", scope="orders:write"$/;

/**
 * Scopes and tenant binding on the real gateway, beyond the matrix's one
 * request per cell: the RFC 6750 challenge on the fast path as on the first
 * request, the scope claim as the realm issues it, and every spelling of a
 * tenant segment an attacker would try.
 */
export function describeScopesAndTenants(ctx: Ctx): void {
  describe("scopes and tenant binding", () => {
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    it("the realm's tokens carry the scopes their client is granted, and the unscoped client's none", async () => {
      const writer = claimsOf(ctx().tokens.writer).scope.split(" ");
      expect(writer).toEqual(expect.arrayContaining([...API_SCOPES]));
      const unscoped = claimsOf(await ctx().clientToken(UNSCOPED_CALLER.clientId)).scope.split(" ");
      for (const s of API_SCOPES) expect(unscoped).not.toContain(s);
    });

    it("a token with the role but without the scope gets 403 with the RFC 6750 challenge, on its first request and from the fast path alike", async () => {
      const token = await ctx().clientToken(UNSCOPED_CALLER.clientId);
      const replies = [];
      for (let i = 0; i < 3; i++) replies.push(await send(ctx().gateway, "POST", `/api/orders/scoped-${i}`, bearer(token)));
      for (const reply of replies) {
        expect(reply.status).toBe(403);
        expect(reply.headers["www-authenticate"]).toMatch(CHALLENGE);
        expect(JSON.parse(reply.body)).toEqual({ error: "insufficient_scope" });
        expect(reachedUpstream(reply)).toBe(false);
      }
      await sleep(300);
      const found = decisionsFor(
        parseDecisionLog(await ctx().decisionLog()),
        replies.map((r) => String(r.headers["x-request-id"])),
      );
      const lines = replies.map((r) => found.get(String(r.headers["x-request-id"]))![0]);
      expect(lines.map((d) => d.reason)).toEqual(["scope_missing", "scope_missing", "scope_missing"]);
      expect(lines.map((d) => d.claims_from)).toEqual(["openid-connect", "fast-path", "fast-path"]);
      // Control: the same rule lets a token with the scope through.
      expect((await send(ctx().gateway, "POST", "/api/orders/scoped-ok", bearer(ctx().tokens.writer))).status).toBe(200);
    });

    it("a forged-but-valid token naming the scope in any other form than RFC 6749's space-separated string is refused", async () => {
      for (const scope of ["orders:write,orders:read", "ORDERS:WRITE", "orders:writer", "orders:write\u00a0", ["orders:write"], "orders:wr"]) {
        const token = await ctx().forge.valid(["writer"], { scope });
        const reply = await send(ctx().gateway, "POST", "/api/orders/odd-scope", bearer(token));
        expect(reply.status, JSON.stringify(scope)).toBe(403);
      }
      const control = await ctx().forge.valid(["writer"], { scope: "email orders:write profile" });
      expect((await send(ctx().gateway, "POST", "/api/orders/odd-scope", bearer(control))).status).toBe(200);
    });

    describe("a {tenant} path segment is the token's tenant, exactly", () => {
      // The viewer's token says acme (CALLERS); each raw path must be refused for it, whatever nginx makes of it.
      const refused = [
        "/api/tenants/globex/orders/1",
        "/api/tenants/%61cme/orders/1",
        "/api/tenants/acm%65/orders/1",
        "/api/tenants/ACME/orders/1",
        "/api/tenants/acme;x/orders/1",
        "/api/tenants/acme%3Bx/orders/1",
        "/api/tenants/acme%2Forders/1",
        "/api/tenants/globex/../acme/orders/1",
        "/api/tenants/globex/%2e%2e/acme/orders/1",
        "/api/tenants/./acme/orders/1",
        "/api//tenants/acme/orders/1",
        "/api/tenants//acme/orders/1",
        "/api/tenants/acme%00/orders/1",
        "/api/tenants/acme%20/orders/1",
        "/api/tenants/acme./orders/1",
      ];

      it.each(refused)("refuses %s for a token of tenant acme, and never reaches the service", async (path) => {
        for (let i = 0; i < 2; i++) {
          const reply = await sendRaw(ctx().gateway, "GET", path, bearer(ctx().tokens.viewer));
          expect([400, 403, 404], `${path}: ${reply.status}`).toContain(reply.status);
          expect(reachedUpstream(reply)).toBe(false);
        }
      });

      it("allows the token's own tenant, with its identity, and refuses the other tenant's token on the same path", async () => {
        const own = await send(ctx().gateway, "GET", "/api/tenants/acme/orders/1?next=/api/tenants/globex", bearer(ctx().tokens.viewer));
        expect(own.status).toBe(200);
        expect(echoedHeaders(own)["x-tenant-id"]).toEqual(["acme"]);
        const other = await send(ctx().gateway, "GET", "/api/tenants/acme/orders/1", bearer(ctx().tokens.admin)); // admin's client is globex
        expect(other.status).toBe(403);
        expect(JSON.parse(other.body)).toEqual({ error: "tenant_mismatch" });
        expect((await send(ctx().gateway, "GET", "/api/tenants/globex/orders/1", bearer(ctx().tokens.admin))).status).toBe(200);
      });

      it("refuses a token without a tenant claim, logging tenant_missing", async () => {
        const reply = await send(ctx().gateway, "GET", "/api/tenants/acme/orders/1", bearer(ctx().tokens["no-tenant"]));
        expect(reply.status).toBe(403);
        await sleep(300);
        const line = decisionsFor(parseDecisionLog(await ctx().decisionLog()), [String(reply.headers["x-request-id"])]).get(
          String(reply.headers["x-request-id"]),
        )![0];
        expect(line.reason).toBe("tenant_missing");
      });
    });
  });
}
