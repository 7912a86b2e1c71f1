import { describe, expect, it } from "vitest";
import { echoedHeaders, reachedUpstream, send, sendRaw, type Reply } from "../support/http";
import { claimsOf, kidOf, tamper } from "../support/tokens";
import type { Ctx } from "./context";

const target = "/api/orders/item-1";
const spoofed = {
  "x-user-id": "root",
  "x-user-role": "admin",
  "x-tenant-id": "evil",
  "x-userinfo": Buffer.from('{"sub":"root"}').toString("base64"),
  "x-client-id": "spoofed",
  "x-access-token": "spoofed",
};

/** Forged, tampered and foreign tokens; spoofed headers; unlisted methods; path tricks. */
export function describeAttacks(ctx: Ctx): void {
  describe("attacks", () => {
    const gw = (method: string, path: string, headers: Record<string, string> = {}) => send(ctx().gateway, method, path, headers);
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const refused = async (headers: Record<string, string>, status: number | number[]): Promise<Reply> => {
      const reply = await gw("GET", target, headers);
      expect([status].flat()).toContain(reply.status);
      expect(reachedUpstream(reply)).toBe(false);
      return reply;
    };

    it("baseline: a forged-but-valid token with a role is accepted (so refusals below are about the one broken claim)", async () => {
      expect(reachedUpstream(await gw("GET", target, bearer(await ctx().forge.valid(["viewer"]))))).toBe(true);
    });

    it("no token: 401", () => refused({}, 401));
    it("malformed Authorization header: 400 or 401", () => refused({ authorization: "Bearer" }, [400, 401]));
    it("not a JWT: 401", () => refused(bearer("not-a-jwt"), 401));
    it("expired beyond the leeway: 401", async () => refused(bearer(await ctx().forge.expired()), 401));
    it("wrong issuer: 401", async () => refused(bearer(await ctx().forge.wrongIssuer()), 401));
    it("wrong audience: 401", async () => refused(bearer(await ctx().forge.wrongAudience()), 401));
    it("tampered payload with the original signature: 401", () => refused(bearer(tamper(ctx().tokens.viewer, (p) => (p.realm_access.roles = ["admin"]))), 401));
    it("signed by a foreign key under the realm's kid: 401", async () => refused(bearer(await ctx().forge.foreignKey(kidOf(ctx().tokens.viewer))), 401));
    it("unknown kid: 401", async () => refused(bearer(await ctx().forge.unknownKid()), 401));
    it("alg none: 401", async () => refused(bearer(await ctx().forge.algNone()), 401));
    it("HS256 signed with the realm's public key: 401", async () => refused(bearer(await ctx().forge.hs256WithPublicKey()), 401));
    // The key guard remembers a header whose signature failed (per worker and key set) and refuses its replays
    // without verifying again: that memory must never refuse the genuine token, nor let the replay through.
    it("a replayed forged signature is refused every time, and the genuine token it was cut from still passes", async () => {
      const genuine = ctx().tokens.viewer;
      const forged = tamper(genuine, (p) => (p.realm_access.roles = ["admin"]));
      for (let i = 0; i < 20; i++) {
        await refused(bearer(forged), 401);
        expect(reachedUpstream(await gw("GET", target, bearer(genuine))), `genuine, round ${i}`).toBe(true);
      }
    });

    // APISIX writes a warning for each plugin that returns a status >= 400, and openid-connect an error for each
    // token it refuses: before, every refused request wrote one or two error-log lines, so a flood of forged or
    // replayed tokens was a flood of disk writes. The decision log has a line per refusal; the error log is for the
    // operator. (A 429 from limit-count still writes APISIX's warning: that plugin is APISIX's own.)
    it("a flood of refusals, each kind, writes nothing to the error log", async () => {
      const now = Math.floor(Date.now() / 1000);
      const f = ctx().forge;
      const kinds: Array<[string, () => Promise<Reply>]> = [
        ["no token", () => gw("GET", target)],
        ["not a JWT", () => gw("GET", target, bearer("not-a-jwt"))],
        ["malformed", () => gw("GET", target, { authorization: "Bearer" })],
        ["expired, signed by the realm", async () => gw("GET", target, bearer(await f.expired()))],
        ["another issuer, signed by the realm", async () => gw("GET", target, bearer(await f.wrongIssuer()))],
        ["another audience", async () => gw("GET", target, bearer(await f.wrongAudience()))],
        ["not valid yet", async () => gw("GET", target, bearer(await f.valid(["viewer"], { nbf: now + 600 })))],
        ["tampered", () => gw("GET", target, bearer(tamper(ctx().tokens.viewer, (p) => (p.realm_access.roles = ["admin"]))))],
        ["foreign key under the realm's kid", async () => gw("GET", target, bearer(await f.foreignKey(kidOf(ctx().tokens.viewer))))],
        ["unknown kid", async () => gw("GET", target, bearer(await f.unknownKid()))],
        ["alg none", async () => gw("GET", target, bearer(await f.algNone()))],
        ["role missing", () => gw("DELETE", target, bearer(ctx().tokens.viewer))],
        ["method override", () => gw("GET", `${target}?_method=DELETE`, bearer(ctx().tokens.viewer))],
        ["dot segment", () => gw("GET", "/api/orders/..;/x", bearer(ctx().tokens.viewer))],
      ];
      const lines = async () => (await ctx().gatewayErrorLog()).split("\n").filter((l) => l.trim() !== "");
      // Each kind once first: the one JWKS refetch an unknown kid may cause is not a flood.
      for (const [, request] of kinds) await request();
      const before = (await lines()).length;
      for (const [what, request] of kinds) {
        for (let i = 0; i < 10; i++) {
          const reply = await request();
          expect([400, 401, 403], what).toContain(reply.status);
          expect(reachedUpstream(reply), what).toBe(false);
        }
      }
      expect((await lines()).slice(before)).toEqual([]);
    });

    it("client-supplied identity headers never reach the upstream on a protected route", async () => {
      const seen = echoedHeaders(await gw("GET", target, { ...spoofed, ...bearer(ctx().tokens.viewer) }));
      expect(seen["x-user-id"]).toEqual([claimsOf(ctx().tokens.viewer).sub]);
      expect(seen["x-user-role"]).toEqual(["viewer"]);
      expect(seen["x-tenant-id"]).toEqual(["acme"]);
      expect(seen["x-client-id"]).toEqual(["caller-viewer"]);
      expect(seen["x-userinfo"]).toBeUndefined();
      expect(seen["x-access-token"]).toBeUndefined();
    });

    it("client-supplied identity headers never reach the upstream on a public route", async () => {
      const reply = await gw("GET", "/api/public", spoofed);
      expect(reachedUpstream(reply)).toBe(true);
      const seen = echoedHeaders(reply);
      for (const h of Object.keys(spoofed)) expect(seen[h], h).toBeUndefined();
    });

    it("a method no rule lists: 405 with Allow, answered by the gateway", async () => {
      const reply = await gw("PATCH", target, bearer(ctx().tokens.admin));
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe("GET, HEAD, POST, PUT, DELETE");
      expect(reachedUpstream(reply)).toBe(false);
    });

    it.each(["TRACE", "CONNECT", "PROPFIND"])("a method the spec cannot name (%s) is refused at the gateway", async (method) => {
      const reply = await sendRaw(ctx().gateway, method, target, bearer(ctx().tokens.admin));
      expect([400, 405]).toContain(reply.status);
      expect(reachedUpstream(reply)).toBe(false);
    });

    it.each([
      "/api/orders/../admin/item-1",
      "/api/orders/%2e%2e/admin/item-1",
      "/api/orders/..%2fadmin/item-1",
      "//api/admin/item-1",
      "/api/orders//../../api/admin/item-1",
      "/api/%61dmin/item-1",
      "/API/ADMIN/item-1",
      "/api/admin%2fitem-1",
    ])("path trick %s does not let a viewer reach the admin-only route", async (path) => {
      const reply = await gw("GET", path, bearer(ctx().tokens.viewer));
      // Either refused, or served by a route the viewer may use, never an admin-only one.
      if (reachedUpstream(reply)) {
        expect(echoedHeaders(reply)["x-user-role"]).toEqual(["viewer"]);
        expect(reply.body).not.toMatch(/^GET \/api\/admin/m);
      }
    });
  });
}

/** Services accept only the gateway's certificate, and the gateway accepts only services from the stack's CA. */
export function describeUpstreamMtls(ctx: Ctx): void {
  describe("mTLS between gateway and services", () => {
    const direct = (address: { host: string; port: number }, cert?: { certPem: string; keyPem: string }) =>
      send(
        {
          ...address,
          tls: {
            ca: ctx().caCertPem,
            servername: "echo.shop.svc.cluster.local",
            ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
            rejectUnauthorized: false,
          },
        },
        "GET",
        "/",
        {},
      );

    it("positive control: the service answers a caller holding the gateway's client certificate", async () => {
      expect(reachedUpstream(await direct(ctx().echoDirect, ctx().gatewayClientCert))).toBe(true);
    });

    it("the service refuses a caller without a client certificate, in the TLS handshake", async () => {
      const error = await direct(ctx().echoDirect).then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
      expect(error, "the service answered a caller without a certificate").toBeDefined();
      // TLS 1.3: the server's certificate_required alert; TLS 1.2: the handshake failure alert or a reset.
      expect(`${error!.code} ${error!.message}`).toMatch(/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|ECONNRESET|socket hang up/i);
    });

    it("positive control: the impostor is alive and would serve the gateway (it trusts the real CA)", async () => {
      expect(reachedUpstream(await direct(ctx().impostorDirect, ctx().gatewayClientCert))).toBe(true);
    });

    it("the gateway refuses an impostor upstream (right DNS name, certificate from another CA): 502, certificate verify error", async () => {
      const reply = await send(ctx().gateway, "GET", "/api/impostor/item-1", { authorization: `Bearer ${ctx().tokens.viewer}` });
      expect(reply.status).toBe(502);
      expect(reachedUpstream(reply)).toBe(false);
      expect(await ctx().gatewayErrorLog()).toMatch(/upstream SSL certificate verify error/);
    });

    it("the gateway presents its client certificate to the real service", async () => {
      const reply = await send(ctx().gateway, "GET", "/api/public", {});
      expect(reachedUpstream(reply)).toBe(true);
      // The echo prints the verified client certificate's subject (the native echo as ClientCertificate, whoami as Subject).
      expect(reply.body).toMatch(/ClientCertificate: apisix\.gateway|Subject:.*CN=apisix\.gateway/);
    });
  });
}
