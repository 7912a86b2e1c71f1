import { describe, expect, it } from "vitest";
import { renderAccessMatrix, type AccessMatrixEntry } from "../../../components/gateway";
import { appOfRoute, type AccessSpec } from "../../../components/access-spec";
import { decisionsFor, parseDecisionLog } from "../support/decision-log";
import { echoedHeaders, reachedUpstream, send } from "../support/http";
import { API_SCOPES, CALLERS, OTHER_TENANT, UNSCOPED_CALLER } from "../support/spec";
import { claimsOf, type TokenForge } from "../support/tokens";
import type { Ctx } from "./context";

const IDENTITY = ["x-user-id", "x-user-role", "x-tenant-id", "x-client-id", "x-token-issued-at"];
export const matrixCaller = (e: AccessMatrixEntry) => (e.caller.kind === "role" ? e.caller.role : e.caller.kind);
/** The tenant a caller's requests name on `{tenant}` paths: its own, except the "(other tenant)" caller's. */
const pathTenant = (caller: string) => (caller === "other-tenant" ? OTHER_TENANT : (CALLERS.find((c) => c.role === caller)?.tenant ?? "acme"));
export const concretePath = (path: string, caller = "anonymous") => path.replace("{tenant}", pathTenant(caller)).replace("*", "item-1");

/**
 * A token per matrix caller: each role's machine client and the unscoped
 * client (real tokens from the realm), and the forged-but-valid ones the
 * realm's clients cannot produce: no declared role, and every role and scope
 * with another tenant's path or no tenant claim.
 */
export async function matrixCallerTokens(clientToken: (clientId: string) => Promise<string>, forge: TokenForge): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const c of CALLERS) tokens[c.role] = await clientToken(c.clientId);
  tokens["no-scope"] = await clientToken(UNSCOPED_CALLER.clientId);
  tokens["no-role"] = await forge.valid([]);
  const everything = { scope: `profile email ${API_SCOPES.join(" ")}` };
  tokens["other-tenant"] = await forge.valid([...UNSCOPED_CALLER.roles], everything);
  tokens["no-tenant"] = await forge.valid([...UNSCOPED_CALLER.roles], { ...everything, tenant_id: undefined });
  return tokens;
}

/** Reasons logged with the verified caller: the token was good, the rule said no (or yes). */
const VERIFIED_REASONS = ["allowed", "role_missing", "scope_missing", "tenant_mismatch", "tenant_missing"];

/** Rows for bearer callers (browser-app routes are exercised by the sign-in flow), every one of them. */
export function bearerMatrix(spec: AccessSpec): AccessMatrixEntry[] {
  return renderAccessMatrix(spec).filter((e) => e.service !== "impostor" && !appOfRoute(spec, { path: e.path }));
}

/**
 * Every row of the access matrix against the real gateway: the status of
 * each refusal, that refusals never reach the service, and on allowed
 * requests exactly the identity headers the route gives (none on public routes).
 */
export function describeAccessMatrix(ctx: Ctx, spec: AccessSpec): void {
  describe("the access matrix, answered by the real gateway", () => {
    // Each row's request id and the reason the decision log must give it.
    const expected: { label: string; requestId: string; reason: string; caller: string }[] = [];
    const isPublicPath = (path: string) => spec.services.some((s) => s.routes.some((r) => r.path === path && r.public));

    it.each(bearerMatrix(spec).map((e) => [`${e.method} ${e.path} as ${matrixCaller(e)}`, e] as const))("%s", async (label, e) => {
      const caller = matrixCaller(e);
      const headers: Record<string, string> = caller === "anonymous" ? {} : { authorization: `Bearer ${ctx().tokens[caller]}` };
      const reply = await send(ctx().gateway, e.method, concretePath(e.path, caller), headers);
      expect(reply.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
      expected.push({
        label,
        requestId: reply.headers["x-request-id"] as string,
        reason: e.outcome.allow ? (isPublicPath(e.path) ? "public" : "allowed") : e.outcome.reason,
        caller,
      });
      if (!e.outcome.allow) {
        expect(reply.status).toBe(e.outcome.status);
        expect(reachedUpstream(reply)).toBe(false);
        if (e.outcome.reason === "scope_missing")
          expect(reply.headers["www-authenticate"]).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope", scope="[^"]+"$/);
        return;
      }
      expect(reply.status).toBe(200);
      if (e.method === "HEAD") return;
      expect(reachedUpstream(reply)).toBe(true);
      const seen = echoedHeaders(reply);
      const isPublic = spec.services.some((s) => s.routes.some((r) => r.path === e.path && r.public));
      if (isPublic || caller === "anonymous") {
        for (const h of IDENTITY) expect(seen[h], `${h} on a public route`).toBeUndefined();
        return;
      }
      if (caller === "no-role") {
        expect(seen["x-user-role"]).toBeUndefined();
        return;
      }
      const c = CALLERS.find((x) => x.role === caller);
      if (!c) {
        // The callers holding every role: their own verified identity, whatever it is.
        const claims = claimsOf(ctx().tokens[caller]);
        expect(seen["x-user-id"]).toEqual([claims.sub]);
        expect(seen["x-user-role"]).toEqual(["viewer,writer,admin"]);
        expect(seen["x-tenant-id"]).toEqual(claims.tenant_id === undefined ? undefined : [claims.tenant_id]);
        return;
      }
      expect(seen["x-user-id"]).toEqual([claimsOf(ctx().tokens[caller]).sub]);
      expect(seen["x-user-role"]).toEqual([c.role]);
      expect(seen["x-tenant-id"]).toEqual([c.tenant]);
      expect(seen["x-client-id"]).toEqual([c.clientId]);
      expect(seen["x-userinfo"]).toBeUndefined();
      expect(seen["x-access-token"]).toBeUndefined();
    });

    it("logged exactly one decision per row, with the matrix's reason, and the verified caller on role decisions", async () => {
      expect(expected.length).toBe(bearerMatrix(spec).length);
      await new Promise((r) => setTimeout(r, 300)); // the log phase runs after the last response went out
      const found = decisionsFor(
        parseDecisionLog(await ctx().decisionLog()),
        expected.map((x) => x.requestId),
      );
      const wrong = expected.flatMap((x) => {
        const lines = found.get(x.requestId)!;
        if (lines.length !== 1) return [`${x.label}: ${lines.length} lines`];
        const d = lines[0];
        const problems = [];
        if (d.reason !== x.reason) problems.push(`${x.label}: reason ${d.reason}, expected ${x.reason}`);
        if (d.decision !== (x.reason === "allowed" || x.reason === "public" ? "allow" : "deny")) problems.push(`${x.label}: decision ${d.decision}`);
        const verified = VERIFIED_REASONS.includes(x.reason);
        if (verified && d.sub !== claimsOf(ctx().tokens[x.caller]).sub) problems.push(`${x.label}: sub ${d.sub}`);
        if (!verified && (d.sub !== null || d.client_id !== null)) problems.push(`${x.label}: an unverified caller logged as ${d.sub}/${d.client_id}`);
        return problems;
      });
      expect(wrong).toEqual([]);
    });

    it("answers CORS preflight for the browser origin without a token, and never reaches the service", async () => {
      const reply = await send(ctx().gateway, "OPTIONS", "/api/orders/item-1", { origin: "http://localhost:5173", "access-control-request-method": "GET" });
      expect(reply.status).toBe(200);
      expect(reply.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
      expect(reachedUpstream(reply)).toBe(false);
    });

    it("refuses CORS for an origin no browser client declares", async () => {
      const reply = await send(ctx().gateway, "OPTIONS", "/api/orders/item-1", { origin: "https://evil.example", "access-control-request-method": "GET" });
      expect(reply.headers["access-control-allow-origin"]).toBeUndefined();
    });
  });
}
