import { describe, expect, it } from "vitest";
import { appCallbackPath, appLogoutPath } from "../../../components/access-spec";
import { DECISION_FIELDS, decisionsFor, parseDecisionLog } from "../support/decision-log";
import { echoedHeaders, send } from "../support/http";
import { PORTAL_URL } from "../support/spec";
import { claimsOf } from "../support/tokens";
import type { Ctx } from "./context";

interface Probe {
  reason: string;
  status: number;
  /** Whether the log must name the verified caller (the token passed verification). */
  verified?: string;
  request(): Promise<{ status: number; headers: Record<string, unknown> }>;
}

/**
 * The decision log: every refusal class the gateway tier can provoke gets
 * exactly one JSON line with its reason (the access matrix's rows are
 * checked in describeAccessMatrix, rate limits in describeRateLimits), and
 * no line ever holds a credential: tokens sent in headers or in the query
 * string, cookies.
 */
/** `noMetrics`: why this tier's runtime exports no Prometheus data (the check then skips, saying so). */
export function describeDecisionLog(ctx: Ctx, opts: { noMetrics?: string } = {}): void {
  if (opts.noMetrics) console.warn(`\n[decision log] Prometheus check SKIPPED: ${opts.noMetrics}\n`);
  describe("the decision log", () => {
    const sent: string[] = [];
    const bearer = (token: string) => {
      sent.push(token);
      return { authorization: `Bearer ${token}` };
    };
    const app = () => ({ host: new URL(PORTAL_URL).host });
    const portal = () => ctx().spec.apps[0];
    const get = (path: string, headers: Record<string, string> = {}) => send(ctx().gateway, "GET", path, headers);

    const probes: Probe[] = [
      { reason: "missing_token", status: 401, request: () => get("/api/orders/log") },
      { reason: "invalid_token", status: 401, request: async () => get("/api/orders/log", bearer(await ctx().forge.unknownKid())) },
      { reason: "invalid_token", status: 401, request: () => get("/api/orders/log", bearer("not-a-jwt")) },
      { reason: "expired_token", status: 401, request: async () => get("/api/orders/log", bearer(await ctx().forge.expired())) },
      { reason: "wrong_issuer", status: 401, request: async () => get("/api/orders/log", bearer(await ctx().forge.wrongIssuer())) },
      { reason: "wrong_audience", status: 401, request: async () => get("/api/orders/log", bearer(await ctx().forge.wrongAudience())) },
      { reason: "role_missing", status: 403, verified: "no-role", request: () => get("/api/admin/log", bearer(ctx().tokens["no-role"])) },
      { reason: "role_missing", status: 403, verified: "viewer", request: () => get("/api/admin/log", bearer(ctx().tokens.viewer)) },
      { reason: "method_not_allowed", status: 405, request: () => send(ctx().gateway, "PUT", "/api/public", {}) },
      { reason: "method_override_refused", status: 400, request: () => get("/api/orders/log?_method=DELETE", bearer(ctx().tokens.viewer)) },
      { reason: "no_route", status: 404, request: () => get("/nowhere/at/all") },
      { reason: "session_required", status: 302, request: () => get("/portal/home/log", app()) },
      { reason: "unsafe_request_uri", status: 400, request: () => get("//evil.example/x%2F..%2F..%2Fportal/home/x", app()) },
      { reason: "no_sign_in_in_progress", status: 400, request: () => get(`${appCallbackPath(portal())}?code=abc&state=def`, app()) },
      {
        reason: "cross_site_request",
        status: 403,
        request: () => send(ctx().gateway, "POST", appLogoutPath(portal()), { ...app(), origin: "https://evil.example" }),
      },
      {
        reason: "allowed",
        status: 200,
        verified: "viewer",
        request: () => get(`/api/orders/log?access_token=${ctx().tokens.viewer}`, bearer(ctx().tokens.viewer)),
      },
      { reason: "public", status: 200, request: () => get("/api/public", { cookie: "portal_session=not-for-the-log; other=also-not" }) },
    ];

    it("gives every refusal class exactly one line with its reason; the caller only when verified", async () => {
      const results = [];
      for (const p of probes) {
        const reply = await p.request();
        expect(reply.status, p.reason).toBe(p.status);
        results.push({ probe: p, id: String(reply.headers["x-request-id"]) });
      }
      await new Promise((r) => setTimeout(r, 300));
      const found = decisionsFor(
        parseDecisionLog(await ctx().decisionLog()),
        results.map((r) => r.id),
      );
      for (const { probe, id } of results) {
        const lines = found.get(id)!;
        expect(lines, probe.reason).toHaveLength(1);
        const [d] = lines;
        expect({ reason: d.reason, status: d.status, decision: d.decision }, probe.reason).toEqual({
          reason: probe.reason,
          status: probe.status,
          decision: probe.status < 300 ? "allow" : "deny",
        });
        expect(d.sub, probe.reason).toBe(probe.verified ? claimsOf(ctx().tokens[probe.verified]).sub : null);
        expect(d.path, probe.reason).not.toContain("?");
      }
    });

    it("keeps every line whole under concurrent load (workers share the file): 300 requests at once, 300 lines", async () => {
      const replies = await Promise.all(Array.from({ length: 300 }, (_, i) => get(`/api/orders/concurrent-${i}`, i % 2 ? bearer(ctx().tokens.viewer) : {})));
      await new Promise((r) => setTimeout(r, 500));
      const log = parseDecisionLog(await ctx().decisionLog()); // throws on a broken line
      const found = decisionsFor(
        log,
        replies.map((r) => String(r.headers["x-request-id"])),
      );
      expect([...found.values()].filter((lines) => lines.length !== 1)).toEqual([]);
    });

    it("holds no credential in any line: no token (header or query), no cookie, only its own fields", async () => {
      const lines = (await ctx().decisionLog()).split("\n").filter(Boolean);
      expect(lines.length).toBeGreaterThan(probes.length);
      const secrets = [...new Set([...sent, ...Object.values(ctx().tokens)])];
      for (const line of lines) {
        // `truncated` only on a line whose fields were cut (it names them and their lengths).
        expect(
          Object.keys(JSON.parse(line))
            .filter((k) => k !== "truncated")
            .sort(),
        ).toEqual([...DECISION_FIELDS]);
        for (const s of secrets) expect(line.includes(s.split(".")[1] ?? s), "a token's payload in the log").toBe(false);
        expect(line).not.toMatch(/eyJ|Bearer|not-for-the-log|access_token=/);
      }
    });

    // Prometheus needs APISIX-Runtime's privileged agent: runs only where the tier has it.
    it.skipIf(!!opts.noMetrics)(
      `labels Prometheus' status counter by route, decision and reason${opts.noMetrics ? ` (skipped: ${opts.noMetrics})` : ""}`,
      async () => {
        const text = await ctx().metrics!();
        const lines = text.split("\n").filter((l) => l.startsWith("apisix_http_status{"));
        expect(
          lines.some((l) => /route="echo\.api_orders_all\.get-head"/.test(l) && /decision="allow"/.test(l) && /reason="allowed"/.test(l)),
          text.slice(0, 2000),
        ).toBe(true);
        expect(lines.some((l) => /decision="deny"/.test(l) && /reason="missing_token"/.test(l))).toBe(true);
        expect(lines.some((l) => /reason="role_missing"/.test(l) && /code="403"/.test(l))).toBe(true);
      },
    );

    it("sends the request id to the service and replaces any id the caller sent", async () => {
      const reply = await get("/api/orders/log", { ...bearer(ctx().tokens.viewer), "x-request-id": "caller-chosen" });
      const id = String(reply.headers["x-request-id"]);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(echoedHeaders(reply)["x-request-id"], reply.body).toEqual([id]);
      expect(reply.body).not.toContain("caller-chosen");
    });
  });
}
