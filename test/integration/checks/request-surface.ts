import { describe, expect, it } from "vitest";
import { echoedHeaders, reachedUpstream, send } from "../support/http";
import { PORTAL_URL } from "../support/spec";
import type { Ctx } from "./context";

const target = "/api/orders/item-1";

/** What a caller could still smuggle past the gateway's checks, each closed (issue: close the request surface). */
export function describeRequestSurface(ctx: Ctx): void {
  describe("request surface", () => {
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const seenAt = async (path: string, headers: Record<string, string>) => {
      const reply = await send(ctx().gateway, "GET", path, headers);
      expect(reachedUpstream(reply), `${path} reached the service`).toBe(true);
      return { reply, seen: echoedHeaders(reply) };
    };

    it("no header with an underscore in its name reaches a service, in any letter case (CGI servers read X_User_Role as X-User-Role)", async () => {
      const smuggled = { X_User_Role: "admin", x_user_id: "root", X_TENANT_ID: "evil", x_forwarded_user: "root" };
      for (const [path, auth] of [
        [target, bearer(ctx().tokens.viewer)],
        ["/api/public", {}],
      ] as const) {
        const { seen } = await seenAt(path, { ...smuggled, ...auth });
        expect(
          Object.keys(seen).filter((h) => h.includes("_")),
          path,
        ).toEqual([]);
      }
    });

    it("request-override headers never reach a service, on protected and public routes", async () => {
      const overrides = {
        "x-http-method-override": "DELETE",
        "x-http-method": "DELETE",
        "x-method-override": "DELETE",
        "x-original-url": "/api/admin/x",
        "x-rewrite-url": "/api/admin/x",
      };
      for (const [path, auth] of [
        [target, bearer(ctx().tokens.viewer)],
        ["/api/public", {}],
      ] as const) {
        const { seen } = await seenAt(path, { ...overrides, ...auth });
        for (const h of Object.keys(overrides)) expect(seen[h], `${h} on ${path}`).toBeUndefined();
      }
    });

    it("a _method parameter is refused at the gateway (frameworks would run another method than the one authorized)", async () => {
      for (const path of [`${target}?_method=DELETE`, `${target}?a=1&_METHOD=delete`, `${target}?%5Fmethod=DELETE`, "/api/public?_method=DELETE"]) {
        const reply = await send(ctx().gateway, "GET", path, bearer(ctx().tokens.viewer));
        expect(reply.status, path).toBe(400);
        expect(reachedUpstream(reply), path).toBe(false);
      }
    });

    it("the service sees the gateway's view of the client address, not the caller's X-Forwarded-For chain", async () => {
      const { seen } = await seenAt(target, {
        ...bearer(ctx().tokens.viewer),
        "x-forwarded-for": "10.9.9.9",
        forwarded: "for=10.9.9.9",
        "x-real-ip": "10.9.9.9",
      });
      expect(seen["x-forwarded-for"]).toEqual(["127.0.0.1"]);
      expect(seen["forwarded"]).toBeUndefined();
      expect(seen["x-real-ip"]).toEqual(["127.0.0.1"]);
    });

    it("credentials stay at the gateway: the caller's Authorization header does not reach the service", async () => {
      const { seen } = await seenAt(target, bearer(ctx().tokens.viewer));
      expect(seen["authorization"]).toBeUndefined();
      expect(seen["x-user-role"]).toEqual(["viewer"]);
    });

    it("an email reaches the service only when the realm says it is verified", async () => {
      const verified = await seenAt(target, bearer(await ctx().forge.valid(["viewer"], { email: "a@example.com", email_verified: true })));
      expect(verified.seen["x-user-email"]).toEqual(["a@example.com"]);
      const unverified = await seenAt(target, bearer(await ctx().forge.valid(["viewer"], { email: "ceo@example.com", email_verified: false })));
      expect(unverified.seen["x-user-email"]).toBeUndefined();
      const unsaid = await seenAt(target, bearer(await ctx().forge.valid(["viewer"], { email: "ceo@example.com" })));
      expect(unsaid.seen["x-user-email"]).toBeUndefined();
    });

    it("a token without exp, or not valid before a future nbf, is refused with 401", async () => {
      const now = Math.floor(Date.now() / 1000);
      for (const [what, extra] of [
        ["no exp", { exp: undefined }],
        ["nbf in 10 minutes", { nbf: now + 600 }],
      ] as const) {
        const reply = await send(ctx().gateway, "GET", target, bearer(await ctx().forge.valid(["viewer"], extra)));
        expect(reply.status, what).toBe(401);
        expect(reachedUpstream(reply), what).toBe(false);
      }
      // Within the stated clock-skew allowance a token is fine.
      expect(reachedUpstream(await send(ctx().gateway, "GET", target, bearer(await ctx().forge.valid(["viewer"], { nbf: now + 5 }))))).toBe(true);
    });

    it("refusals carry a stable reason code, never the library's error (an attacker's kid, internal URLs)", async () => {
      const realm = ctx().spec.realm.name;
      const challenge = async (headers: Record<string, string>) => String((await send(ctx().gateway, "GET", target, headers)).headers["www-authenticate"]);
      expect(await challenge({})).toBe(`Bearer realm="${realm}"`);
      for (const token of [await ctx().forge.unknownKid(), await ctx().forge.expired(), "not-a-jwt", await ctx().forge.wrongIssuer()]) {
        expect(await challenge(bearer(token))).toBe(`Bearer realm="${realm}", error="invalid_token"`);
      }
    });

    it("after sign-in the gateway can only return to a path on the app's own origin: request URIs that browsers read as another host are refused", async () => {
      const app = { host: `${new URL(PORTAL_URL).host}` };
      for (const path of ["//evil.example/x%2F..%2F..%2Fportal/home/x", "/\\evil.example/x%2F..%2F..%2Fportal/home/x", "/%2Fevil.example/..%2Fportal/home/x"]) {
        const reply = await send(ctx().gateway, "GET", path, app);
        expect(reply.status, `${path} -> ${reply.headers.location ?? ""}`).toBe(400);
      }
      // The app's own pages still send the browser to sign in.
      expect((await send(ctx().gateway, "GET", "/portal/home/x", app)).status).toBe(302);
    });

    it("a token for another audience is invalid_token: 401, as RFC 6750 and the access matrix say", async () => {
      const reply = await send(ctx().gateway, "GET", target, bearer(await ctx().forge.wrongAudience()));
      expect(reply.status).toBe(401);
      expect(String(reply.headers["www-authenticate"])).toMatch(/error="invalid_token"/);
    });
  });
}
