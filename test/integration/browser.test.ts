/**
 * Sign-in in a real browser: headless Chromium (Debian's `chromium`, driven
 * by playwright-core) through the dev stack's storefront at a local gateway
 * (`npm start`'s world): the login page, the redirect back, an app page
 * showing what the service received, a cross-site form post that fails, and
 * sign-out. The HTTP-client browser of the sessions check proves the same
 * flow request by request; this proves a browser's own cookie and redirect
 * handling agrees. A failing step leaves a screenshot in out/test-artifacts/.
 */
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appSessionCookie } from "../../components/gateway/plugin";
import { startLocalGateway, type LocalGateway } from "../../scripts/lib/local-gateway";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";
import { E2E_REQUIRED } from "./support/environment";
import { chooseGatewayRuntime } from "./support/gateway-topology";
import { freePort } from "./support/ports";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const playwright = await import("playwright-core").catch(() => undefined);
const runtime = await chooseGatewayRuntime();
const skipped = !runtime.kind
  ? runtime.reason
  : !existsSync(CHROMIUM)
    ? `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
    : !playwright
      ? "playwright-core is not installed (npm ci)"
      : undefined;
if (skipped) console.warn(`\n[real browser] SKIPPED: ${skipped}\n`);

// Where the gateway tier is required (CI), so is the browser: .ci/run installs Chromium.
if (skipped && E2E_REQUIRED) {
  describe("real-browser requirement", () => {
    it(`is met (GATEWAY_E2E_REQUIRED=${E2E_REQUIRED})`, () => {
      throw new Error(`the real-browser sign-in cannot run: ${skipped}`);
    });
  });
}

/** A JWT in compact form: what the browser must never be handed. */
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/;

describe.skipIf(skipped !== undefined)(`sign-in in a real browser (headless Chromium)${skipped ? ` (skipped: ${skipped})` : ""}`, () => {
  let local: LocalGateway;
  let evil: Server;
  let evilOrigin: string;
  let browser: import("playwright-core").Browser;

  beforeAll(async () => {
    local = await startLocalGateway({ stack: "dev", root: PROJECT_ROOT });
    const app = local.spec.apps[0];
    // Another site (another host and port): its page posts a form to the app as soon as it loads.
    const evilPort = await freePort();
    evilOrigin = `http://127.0.0.1:${evilPort}`;
    evil = createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        `<!DOCTYPE html><form id="f" method="post" action="${app.url}/api/orders"><input name="item" value="free"></form><script>document.getElementById("f").submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(evilPort, "127.0.0.1", resolve));
    browser = await playwright!.chromium.launch({
      executablePath: CHROMIUM,
      args: [
        // The machine has no internet: no background fetches (updates, safe browsing, field trials).
        "--disable-background-networking",
        "--disable-component-update",
        `--host-resolver-rules=MAP ${app.host} 127.0.0.1`,
        // Chromium refuses its sandbox to root (CI containers run as root).
        ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (evil ? evil.close(resolve) : resolve(undefined)));
    await local?.stop();
  });

  it("signs a seed user in, shows what the service received, refuses a cross-site post, signs out; the browser never holds a token", async () => {
    const app = local.spec.apps[0];
    const user = local.users.find((u) => u.username === "alice")!;
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen: string[] = [];
    // Every response the browser was handed, read in full; awaited before the check (and never left
    // rejecting after the page is gone: a response can outlive a navigation).
    const reading: Promise<void>[] = [];
    page.on("response", (r) => {
      reading.push(
        (async () => {
          seen.push(`${r.url()} ${JSON.stringify(await r.allHeaders())}`);
          const type = r.headers()["content-type"] ?? "";
          if (/text|json|javascript/.test(type)) seen.push(await r.text());
        })().catch(() => void seen.push(`${r.url()} (body gone before it was read)`)),
      );
    });
    try {
      // 1. A page of the app sends the browser to the realm's login page.
      await page.goto(`${app.url}/account/me`);
      expect(new URL(page.url()).origin).toBe(new URL(local.idp.issuer).origin);
      await page.fill("input[name=username]", user.username);
      await page.fill("input[name=password]", user.password);
      // 2. Signed in, back at the page asked for: the service got the verified identity, and no token.
      await Promise.all([page.waitForURL(`${app.url}/account/me`), page.click("button[type=submit]")]);
      const shown = await page.textContent("body");
      expect(shown).toMatch(/^Hostname: storefront$/m);
      expect(shown).toMatch(/^X-User-Role: viewer,editor,orders-writer,admin$/im);
      expect(shown).toMatch(/^X-Tenant-ID: acme$/im);
      expect(shown).not.toMatch(/^(authorization|x-access-token|x-userinfo):/im);

      // 3. The session cookie as the browser stored it.
      const cookies = await context.cookies(app.url);
      const session = cookies.filter((c) => c.name.startsWith(appSessionCookie(app)));
      expect(session.length).toBeGreaterThan(0);
      for (const c of session) {
        expect(c).toMatchObject({ httpOnly: true, sameSite: "Lax", path: app.pathPrefix, secure: app.url.startsWith("https:") });
      }
      for (const c of cookies) expect(c.value, c.name).not.toMatch(JWT);

      // 4. Another site's form post to the app does not reach the service.
      await page.goto(`${evilOrigin}/`);
      await page.waitForURL(`${app.url}/api/orders`);
      expect(await page.textContent("body")).not.toMatch(/Hostname:/);

      // 5. Sign-out is the app's own POST; the realm confirms; a page afterwards asks for a new sign-in.
      await page.goto(`${app.url}/account/me`);
      expect(await page.textContent("body")).toMatch(/Hostname: storefront/);
      await page.evaluate((action) => {
        // Runs in the page: the DOM is the browser's (this tsconfig has no DOM types).
        const document = (globalThis as any).document;
        const form = document.createElement("form");
        form.method = "post";
        form.action = action;
        document.body.appendChild(form);
        form.submit();
      }, `${app.url}/logout`);
      await page.waitForURL((u) => u.origin === new URL(local.idp.issuer).origin);
      const confirm = page.locator("form#op\\.logoutForm button, form#op\\.logoutForm input[type=submit]");
      if (await confirm.count())
        await Promise.all([
          page.waitForURL((u) => !u.pathname.includes("/session/end") || u.origin !== new URL(local.idp.issuer).origin),
          confirm.first().click(),
        ]);
      await page.goto(`${app.url}/account/me`);
      expect(page.url()).not.toContain(`${app.url}/account/me`);
      expect(await page.textContent("body")).not.toMatch(/Hostname:/);

      // 6. Nothing the browser was handed (URLs, headers, pages) carried a token.
      await Promise.all(reading);
      expect(seen.filter((s) => JWT.test(s)).map((s) => s.slice(0, 300))).toEqual([]);
    } catch (e) {
      const dir = join(PROJECT_ROOT, "out", "test-artifacts");
      mkdirSync(dir, { recursive: true });
      const shot = join(dir, `browser-sign-in-${Date.now()}.png`);
      await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      throw new Error(`${(e as Error).message}\n(screenshot: ${shot}; page: ${page.url()})`);
    } finally {
      await Promise.all(reading);
      await context.close();
    }
  }, 120_000);
});
