import { describe, expect, it } from "vitest";
import { TestBrowser, loginForm, logoutConfirmation } from "../support/browser";
import { echoedHeaders, reachedUpstream } from "../support/http";
import { PORTAL_URL } from "../support/spec";
import type { Ctx } from "./context";

/** The browser app signed in at the gateway: code flow with PKCE, session cookie, renewal, logout. */
export function describeBrowserSignIn(ctx: Ctx): void {
  describe("browser sign-in at the gateway (session cookie, refresh, logout)", () => {
    it(
      "signs in with code + PKCE, carries identity headers, renews the token without a new login, and logs out",
      async () => {
        const { spec, portalUser } = ctx();
        const browser = new TestBrowser(ctx().browserAddresses);

        // An API call without a session is refused, not redirected.
        expect((await browser.request("GET", `${PORTAL_URL}/api/me`)).status).toBe(401);

        // A page sends the browser to the realm's login, with a PKCE S256 challenge.
        const loginPage = await browser.navigate("GET", `${PORTAL_URL}/home/start`);
        expect(loginPage.url.startsWith(`${spec.keycloak.publicUrl}/realms/${spec.realm.name}/`)).toBe(true);
        const authorize = browser.visited.find((v) => v.includes("/protocol/openid-connect/auth?"));
        expect(authorize).toMatch(/code_challenge_method=S256/);
        expect(authorize).toMatch(/code_challenge=[A-Za-z0-9_-]{43}/);

        // A wrong password gets no session.
        const action = new URL(loginForm(loginPage.reply.body).action, loginPage.url).toString();
        const wrong = await browser.navigate("POST", action, { username: portalUser.username, password: `${portalUser.password}-wrong`, credentialId: "" });
        expect(reachedUpstream(wrong.reply)).toBe(false);

        // The right one lands on the page asked for, through the gateway's callback.
        const retry = await browser.navigate("GET", `${PORTAL_URL}/home/start`);
        const landed = await browser.navigate("POST", new URL(loginForm(retry.reply.body).action, retry.url).toString(), {
          username: portalUser.username,
          password: portalUser.password,
          credentialId: "",
        });
        expect(landed.url).toBe(`${PORTAL_URL}/home/start`);
        expect(reachedUpstream(landed.reply)).toBe(true);

        // The callback cannot be replayed: not with the session (already used), not without one (no sign-in in progress),
        // and neither makes the gateway call the token endpoint.
        const callback = browser.visited.find((v) => v.includes("/portal/callback?"))!.split(" ")[1];
        const tokenCallsBefore = ctx().idpCalls?.("token");
        const replayed = await browser.request("GET", callback);
        expect(reachedUpstream(replayed)).toBe(false);
        expect((await new TestBrowser(ctx().browserAddresses).request("GET", callback)).status).toBe(400);
        expect((await new TestBrowser(ctx().browserAddresses).request("GET", `${PORTAL_URL}/callback?code=forged&state=forged`)).status).toBe(400);
        if (tokenCallsBefore !== undefined) expect(ctx().idpCalls!("token")).toBe(tokenCallsBefore);

        const session = browser.setCookies.find((c) => c.startsWith("portal_session"));
        expect(session, `session cookie set: ${browser.setCookies.join(" | ")}`).toBeDefined();
        expect(session).toMatch(/;\s*HttpOnly/i);
        expect(session).toMatch(/;\s*SameSite=Lax/i);
        expect(session).toMatch(/;\s*Path=\/portal/i);

        const firstReply = await browser.request("GET", `${PORTAL_URL}/api/me`);
        expect(firstReply.status).toBe(200);
        const first = echoedHeaders(firstReply);
        expect(first["x-user-role"]).toEqual(["viewer"]);
        expect(first["x-tenant-id"]).toEqual(["acme"]);
        expect(first["x-access-token"]).toBeUndefined();
        // The session cookie holds the encrypted tokens: it stays at the gateway, other cookies pass.
        expect((first["cookie"] ?? []).join("; ")).not.toMatch(/portal_session/);
        const withOwnCookie = echoedHeaders(
          await browser.request("GET", `${PORTAL_URL}/api/me`, undefined, {
            cookie: [...browser.cookies(new URL(PORTAL_URL).host)]
              .map(([k, v]) => `${k}=${v}`)
              .concat("theme=dark")
              .join("; "),
          }),
        );
        expect(withOwnCookie["cookie"]).toEqual(["theme=dark"]);
        const issuedAt = Number(first["x-token-issued-at"]?.[0]);
        expect(issuedAt).toBeGreaterThan(0);

        // The access token lives 1 minute and is renewed 30 s before expiry: after 40 s the gateway must have refreshed it.
        await new Promise((r) => setTimeout(r, 40_000));
        const later = await browser.request("GET", `${PORTAL_URL}/api/me`);
        expect(later.status).toBe(200);
        const renewedAt = Number(echoedHeaders(later)["x-token-issued-at"]?.[0]);
        console.log(`[browser] access token issued at ${issuedAt}, renewed at ${renewedAt} without a new sign-in`);
        expect(renewedAt).toBeGreaterThan(issuedAt);

        // Cross-site requests ride on the session cookie (SameSite=Lax lets sibling subdomains through): unsafe methods need the app's own origin.
        const origin = new URL(PORTAL_URL).origin;
        expect((await browser.request("POST", `${PORTAL_URL}/api/me`, { a: "1" }, { origin: "http://evil.example" })).status).toBe(403);
        expect((await browser.request("POST", `${PORTAL_URL}/api/me`, { a: "1" }, { "sec-fetch-site": "cross-site" })).status).toBe(403);
        expect((await browser.request("POST", `${PORTAL_URL}/api/me`, { a: "1" })).status, "no Origin, no Sec-Fetch-Site").toBe(403);
        expect(reachedUpstream(await browser.request("POST", `${PORTAL_URL}/api/me`, { a: "1" }, { origin }))).toBe(true);
        expect(reachedUpstream(await browser.request("POST", `${PORTAL_URL}/api/me`, { a: "1" }, { "sec-fetch-site": "same-origin" }))).toBe(true);

        // Logout is a same-origin POST: a link or an image on another site cannot end the session.
        expect((await browser.request("GET", `${PORTAL_URL}/logout`)).status).toBe(405);
        expect((await browser.request("POST", `${PORTAL_URL}/logout`, {}, { origin: "http://evil.example" })).status).toBe(403);
        expect((await browser.request("GET", `${PORTAL_URL}/api/me`)).status, "still signed in").toBe(200);

        // Logout ends the session at the gateway and at the realm.
        const loggedOut = await browser.navigate("POST", `${PORTAL_URL}/logout`, {}, { origin });
        const confirm = logoutConfirmation(loggedOut.reply.body);
        if (confirm) await browser.navigate("POST", new URL(confirm.action, loggedOut.url).toString(), confirm.fields);
        expect((await browser.request("GET", `${PORTAL_URL}/api/me`)).status).toBe(401);
        const again = await browser.navigate("GET", `${PORTAL_URL}/home/start`);
        expect(reachedUpstream(again.reply), "a page after logout asks for a new sign-in").toBe(false);
      },
      5 * 60_000,
    );
  });
}
