/**
 * The trust boundary against an outside attacker (issue 20): what reaches a
 * service is what the gateway judged. Each class is tried with generated
 * variants, the way an attacker or a careless client would spell them; each
 * has a positive control, so a check cannot pass by refusing everything.
 */
import { createSign } from "node:crypto";
import { parse as qsParse } from "qs";
import { describe, expect, it } from "vitest";
import { echoedHeaders, reachedUpstream, send, sendRaw } from "../support/http";
import { kidOf } from "../support/tokens";
import type { Ctx } from "./context";

const target = "/api/orders/item-1";

/** Letter-case spellings of a header name: as declared, lower, upper, and alternating. */
export function caseSpellings(name: string): string[] {
  const alternating = [...name].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join("");
  return [...new Set([name, name.toLowerCase(), name.toUpperCase(), alternating])];
}

/** Header names that carry a credential or an identity some service trusts by habit. */
export function credentialHeaderNames(): string[] {
  const tokens = ["Access", "ID", "Raw-ID", "Refresh", "Forwarded-Access", "Forwarded-Id", "Auth", "Amzn-Oidc-Access", "Session"].map((w) => `X-${w}-Token`);
  const families = [
    "X-Userinfo",
    "X-Forwarded-User",
    "X-Forwarded-Email",
    "X-Forwarded-Groups",
    "X-Forwarded-Preferred-Username",
    "X-Remote-User",
    "X-Remote-Groups",
    "Remote-User",
    "X-Auth-Request-User",
    "X-Auth-Request-Email",
    "X-Auth-Request-Groups",
    "X-Auth-Request-Access-Token",
    "X-Authenticated-Userid",
    "X-Consumer-Username",
    "X-User-Name",
    "X-User-Groups",
    "X-Tenant-Name",
    "X-Amzn-Oidc-Identity",
    "X-Goog-Authenticated-User-Email",
    "X-MS-Client-Principal-Name",
    "Cf-Access-Jwt-Assertion",
    "X-Forwarded-Method",
    "X-Original-Method",
    "X-Original-URI",
    "X-Forwarded-Uri",
    "X-HTTP-Method-Override",
    "Proxy-Authorization",
  ];
  return [...tokens, ...families].flatMap(caseSpellings);
}

/** PHP's parameter-name normalisation: leading spaces dropped; ".", " " and an unclosed "[" become "_"; "a[b]" is a. */
export function phpName(decoded: string): string {
  let name = decoded.replace(/^ +/, "").split("\0")[0];
  const bracket = name.indexOf("[");
  if (bracket >= 0 && name.indexOf("]", bracket) > bracket) name = name.slice(0, bracket);
  return name.replace(/[. []/g, "_");
}

/** What real decoders make of a raw query/form key: URLSearchParams (WHATWG), qs (Express), PHP's normaliser. */
export function decodedNames(rawKey: string): string[] {
  const names = new Set<string>();
  for (const k of new URLSearchParams(`${rawKey}=1`).keys()) {
    names.add(k);
    names.add(phpName(k));
  }
  for (const k of Object.keys(qsParse(`${rawKey}=1`, { allowDots: false }))) names.add(k);
  return [...names];
}

const pct = (c: string, upper = true) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`[upper ? "toUpperCase" : "toLowerCase"]();

/** Raw spellings of the key `_method` an attacker would try: percent-encodings of each letter, PHP manglings, suffixes, case, separators. */
export function overrideKeyVariants(): string[] {
  const base = "_method";
  const out = new Set<string>([base, base.toUpperCase(), "_Method"]);
  for (let i = 0; i < base.length; i++) {
    for (const upper of [true, false]) out.add(base.slice(0, i) + pct(base[i], upper) + base.slice(i + 1));
  }
  out.add([...base].map((c) => pct(c)).join(""));
  out.add(`%255Fmethod`);
  for (const mangled of [
    ".method",
    "[method",
    " _method",
    "+_method",
    "%20_method",
    "%2Emethod",
    "%5Bmethod",
    "_method[]",
    "_method[x]",
    "_method%5B%5D",
    "_method%00x",
  ])
    out.add(mangled);
  return [...out];
}

/** Keys no decoder reads as an override: they must pass (positive controls). */
const HARMLESS_KEYS = ["method", "_methods", "x_method", "_meth", "my_method"];

export function describeTrustBoundary(ctx: Ctx): void {
  describe("trust boundary (outside attacker)", () => {
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const seen = async (path: string, headers: Record<string, string>) => {
      const reply = await send(ctx().gateway, "GET", path, headers);
      expect(reachedUpstream(reply), `${path} reached the service`).toBe(true);
      return echoedHeaders(reply);
    };

    it("no credential or identity header reaches a service, in any spelling, on public and protected routes; other headers do", async () => {
      const names = credentialHeaderNames();
      // Several requests: nginx bounds a request's headers; each carries a slice.
      for (let i = 0; i < names.length; i += 40) {
        const slice = Object.fromEntries(names.slice(i, i + 40).map((n, j) => [n, `forged-${j}`]));
        for (const [path, auth] of [
          ["/api/public", { authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9." }],
          [target, bearer(ctx().tokens.viewer)],
        ] as const) {
          const got = await seen(path, { ...slice, ...auth, "x-csrf-token": "kept", "x-trace-context": "kept" });
          const leaked = Object.keys(got).filter((h) => Object.keys(slice).some((n) => n.toLowerCase() === h) || h === "authorization");
          expect(leaked, `${path}: reached the service`).toEqual([]);
          expect(got["x-csrf-token"], "anti-CSRF tokens are not credentials").toEqual(["kept"]);
          expect(got["x-trace-context"]).toEqual(["kept"]);
        }
      }
    });

    it("the caller's Authorization never reaches a public route (a forged alg:none 'admin' token included)", async () => {
      for (const value of ["Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.", `Bearer ${ctx().tokens.admin}`, "Basic YWRtaW46YWRtaW4=", "bearer x"]) {
        expect((await seen("/api/public", { authorization: value }))["authorization"]).toBeUndefined();
      }
    });

    it("a browser app's session cookies (and their chunks) reach no service outside its session routes, a public route in the app's path included; other cookies do", async () => {
      const cookie = "portal_session=stolen; other=1; portal_session_2=chunk; portal_session_x=keep-me";
      for (const [path, host] of [
        ["/api/public", {}],
        ["/portal/assets/app.js", { host: "gateway:9080" }],
        [target, {}],
      ] as const) {
        const auth = path === target ? bearer(ctx().tokens.viewer) : {};
        const got = await seen(path, { cookie, ...host, ...auth });
        expect(got["cookie"], path).toEqual(["other=1; portal_session_x=keep-me"]);
      }
    });

    describe("method overrides: every spelling a framework decodes to an override is refused (400), harmless keys pass", () => {
      const variants = overrideKeyVariants().filter((k) => decodedNames(k).some((n) => n.toLowerCase() === "_method"));
      it("the generator finds variants the decoders map to _method (URLSearchParams, qs, PHP)", () => {
        expect(variants.length).toBeGreaterThan(15);
        for (const k of HARMLESS_KEYS) expect(decodedNames(k).map((n) => n.toLowerCase())).not.toContain("_method");
      });

      it("in the query string (any separator)", async () => {
        // A request line cannot carry a raw space: those spellings go in bodies below.
        for (const k of variants.filter((v) => !v.includes(" "))) {
          for (const query of [`${k}=DELETE`, `a=1&${k}=DELETE`, `a=1;${k}=DELETE`]) {
            const reply = await send(ctx().gateway, "GET", `${target}?${query}`, bearer(ctx().tokens.viewer));
            expect(reply.status, query).toBe(400);
            expect(reachedUpstream(reply), query).toBe(false);
          }
        }
        for (const k of HARMLESS_KEYS)
          expect(reachedUpstream(await send(ctx().gateway, "GET", `${target}?${k}=DELETE`, bearer(ctx().tokens.viewer))), k).toBe(true);
      });

      it("in urlencoded, multipart and JSON bodies", async () => {
        const post = (body: string, type: string) => send(ctx().gateway, "POST", target, { ...bearer(ctx().tokens.writer), "content-type": type }, body);
        for (const k of variants) {
          expect((await post(`a=1&${k}=DELETE`, "application/x-www-form-urlencoded")).status, k).toBe(400);
          expect((await post(`a=1&${k}=DELETE`, "Application/X-WWW-Form-Urlencoded; charset=utf-8")).status, k).toBe(400);
        }
        const boundary = "----gw-test";
        const part = (disposition: string, value: string) => `--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n${value}\r\n`;
        const multipart = (...parts: string[]) => post(`${parts.join("")}--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`);
        for (const disposition of [
          'form-data; name="_method"',
          "form-data; name=_method",
          'form-data; NAME="_METHOD"',
          "form-data; name*=utf-8''%5Fmethod",
          'form-data; name=".method"',
          'form-data; name="_method[]"',
        ]) {
          expect((await multipart(part('form-data; name="a"', "1"), part(disposition, "DELETE"))).status, disposition).toBe(400);
        }
        // Behind a large file part the body is in nginx's buffer file, read in bounded chunks.
        const big = part('form-data; name="file"; filename="a.bin"', "x".repeat(300_000));
        expect((await multipart(big, part('form-data; name="_method"', "DELETE"))).status).toBe(400);
        expect(reachedUpstream(await multipart(big, part('form-data; name="note"', "hello")))).toBe(true);
        expect((await post('{"_method":"DELETE"}', "application/json")).status).toBe(400);
        expect((await post('{"\\u005fmethod":"DELETE"}', "application/json")).status).toBe(400);
        for (const k of HARMLESS_KEYS) expect(reachedUpstream(await post(`${k}=DELETE`, "application/x-www-form-urlencoded")), k).toBe(true);
        expect(reachedUpstream(await post('{"method":"DELETE","data":{"_method":"nested"}}', "application/json"))).toBe(true);
      });
    });

    it("path segments a servlet container reads as a dot segment (..;) are refused (400 unsafe_path); other path parameters pass", async () => {
      for (const path of [
        "/api/orders/..;/admin/x",
        "/api/orders/%2e%2e;/admin/x",
        "/api/orders/.%2E;x=1/admin/x",
        "/api/orders/..;jsessionid=1/admin/x",
        "/api/orders/..%3B/admin/x",
        "/api/orders/.;/x",
        "/api/public/..;/orders/x",
      ]) {
        const reply = await send(ctx().gateway, "GET", path, bearer(ctx().tokens.viewer));
        expect(reply.status, path).toBe(400);
        expect(reachedUpstream(reply), path).toBe(false);
      }
      expect(reachedUpstream(await send(ctx().gateway, "GET", "/api/orders/a;v=1/b", bearer(ctx().tokens.viewer)))).toBe(true);
    });

    it("tokens the realm cannot have issued are refused: a crit header, a lifetime beyond the realm's, iat in the future", async () => {
      const now = Math.floor(Date.now() / 1000);
      const lifespan = ctx().spec.realm.tokens.accessTokenLifespan;
      const forge = ctx().forge;
      const refused = [
        [
          "crit",
          signedRaw(
            { alg: "RS256", typ: "JWT", kid: (forge as any).testKey.kid, crit: ["exp"], exp: now + 60 },
            forge.payload({ realm_access: { roles: ["viewer"] } }),
            (forge as any).testKey.privateKeyPem,
          ),
        ],
        ["ten years", await forge.valid(["viewer"], { iat: now, exp: now + 10 * 365 * 86400 })],
        ["lifetime + 2 min", await forge.valid(["viewer"], { iat: now, exp: now + lifespan + 120 })],
        ["iat in 10 minutes", await forge.valid(["viewer"], { iat: now + 600, exp: now + 600 + lifespan })],
        ["no iat", await forge.valid(["viewer"], { iat: undefined })],
      ] as const;
      for (const [what, token] of refused) {
        const reply = await send(ctx().gateway, "GET", target, bearer(token));
        expect(reply.status, what).toBe(401);
      }
      expect(reachedUpstream(await send(ctx().gateway, "GET", target, bearer(await forge.valid(["viewer"], { iat: now, exp: now + lifespan }))))).toBe(true);
    });

    it("a forged signature under the realm's kid is refused by the key guard itself (OpenSSL, RS256), before openid-connect's per-request work", async () => {
      const token = await ctx().forge.foreignKey(kidOf(ctx().tokens.viewer));
      // openid-connect writes an error line for every token it refuses: none here, so the key guard answered.
      const refusedByOidc = async () => (await ctx().gatewayErrorLog()).split("OIDC introspection failed").length - 1;
      const before = await refusedByOidc();
      const reply = await send(ctx().gateway, "GET", target, bearer(token));
      expect(reply.status).toBe(401);
      expect(reply.headers["www-authenticate"]).toMatch(/error="invalid_token"/);
      expect(await refusedByOidc()).toBe(before);
      // Control: the realm's own token still passes the same check.
      expect(reachedUpstream(await send(ctx().gateway, "GET", target, bearer(ctx().tokens.viewer)))).toBe(true);
    });

    it("no client input yields a 5xx, and nothing unverified reaches a protected service (bounded fuzz)", async () => {
      const [h, p, s] = ctx().tokens.viewer.split(".");
      const rnd = seeded(20);
      const b64 = () => Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256))).toString("base64url");
      const authorizations = [
        `Bearer ${h}.${p}.${s}.${s}`,
        `Bearer ${h}.${p}.${s}.`,
        `Bearer ${h}.${p}..${s}`,
        `Bearer ${h}..${p}.${s}`,
        "Bearer ....",
        "Bearer .",
        `Bearer ${h}.${p}`,
        `Bearer ${h}.bnVsbA.${s}`,
        `Bearer ${h}.W10.${s}`,
        `Bearer ${h}.e30.${s}`,
        `Bearer e30.${p}.${s}`,
        `Bearer ${h}.${p}.${s}=`,
        `Bearer ${h}=.${p}.${s}`,
        "Bearer " + "a".repeat(8000),
        "Bearer",
        "Bearer ",
        "Basic",
        "Negotiate abc",
        `Bearer ${h}.${p}.${s}\t`,
        `Bearer  ${h}.${p}.${s}`,
        ...Array.from({ length: 40 }, () => `Bearer ${Array.from({ length: 1 + Math.floor(rnd() * 5) }, b64).join(".")}`),
      ];
      const statuses: Array<[string, number]> = [];
      for (const authorization of authorizations) {
        const reply = await send(ctx().gateway, "GET", target, { authorization });
        statuses.push([authorization.slice(0, 60), reply.status]);
        expect(reachedUpstream(reply), authorization.slice(0, 60)).toBe(false);
      }
      const cookies = [
        "portal_session=AAAA",
        "portal_session=",
        "portal_session=x; portal_session_2=y",
        `portal_session=${b64()}${b64()}`,
        "portal_session=%00%ff",
        `portal_session=${"A".repeat(4000)}`,
      ];
      for (const cookie of cookies) {
        for (const path of ["/portal/callback?code=x&state=y", "/portal/callback", "/portal/callback?state=&code=", "/portal/home/x", "/portal/api/x"]) {
          const reply = await send(ctx().gateway, "GET", path, { host: "gateway:9080", cookie });
          statuses.push([`${cookie.slice(0, 30)} ${path}`, reply.status]);
        }
        const logout = await send(ctx().gateway, "POST", "/portal/logout", { host: "gateway:9080", origin: "http://gateway:9080", cookie });
        statuses.push([`${cookie.slice(0, 30)} logout`, logout.status]);
      }
      for (const path of [
        "/api/orders/%ff%fe",
        "/api/orders/%00",
        "/api/orders/%",
        "/api/orders/%zz",
        `/api/orders/${"%2e".repeat(500)}`,
        "/api/orders/x?%",
        "/api/orders/x?a=%ff&b",
        `/api/orders/${"a/".repeat(2000)}`,
        "/api/orders/x#frag",
      ]) {
        const reply = await send(ctx().gateway, "GET", path, bearer(ctx().tokens.viewer)).catch(() => ({ status: 0, headers: {}, body: "" }));
        statuses.push([path.slice(0, 60), reply.status]);
      }
      for (const headers of [
        { "x-user-id": "\u00ff" },
        { cookie: ";;;=;" },
        { "content-type": "multipart/form-data" },
        { "content-type": "multipart/form-data; boundary=" },
        { origin: "null" },
      ] as Array<Record<string, string>>) {
        const reply = await send(
          ctx().gateway,
          "POST",
          target,
          { ...bearer(ctx().tokens.writer), ...headers },
          "--\r\ncontent-disposition: form-data; name=\r\n\r\n",
        );
        statuses.push([JSON.stringify(headers), reply.status]);
      }
      const raw = await sendRaw(ctx().gateway, "GET", target, { Authorization: "Bearer \u0001" });
      statuses.push(["control byte", raw.status]);
      const errors = statuses.filter(([, status]) => status >= 500 || status === 0);
      expect(errors, "5xx answers to client input").toEqual([]);
    }, 120_000);

    it("every line of the decision log is one atomic write and strict UTF-8 JSON: long and non-UTF-8 paths are cut or escaped, with a marker", async () => {
      const long = `/api/public/${"a".repeat(6000)}`;
      await send(ctx().gateway, "GET", long, {});
      await send(ctx().gateway, "GET", "/api/public/%ff%fe%c3", {});
      await new Promise((r) => setTimeout(r, 300));
      const bytes = Buffer.from(await ctx().decisionLog(), "latin1");
      const strict = new TextDecoder("utf-8", { fatal: true });
      const lines = strict.decode(bytes).split("\n").filter(Boolean);
      for (const line of lines) {
        expect(Buffer.byteLength(line) + 1, "a line longer than PIPE_BUF (4096)").toBeLessThan(4096);
        JSON.parse(line);
      }
      const cut = lines.map((l) => JSON.parse(l)).find((d) => d.truncated?.path > 6000);
      expect(cut, "the long path's line records what was cut").toBeDefined();
      expect(lines.some((l) => l.includes("/api/public/%FF%FE%C3"))).toBe(true);
    });

    it("requests nginx refuses before APISIX runs get a decision-log line too (refused_by_nginx)", async () => {
      const before = (await ctx().decisionLog()).split("\n").filter((l) => l.includes('"refused_by_nginx"')).length;
      const refused = [
        await sendRaw(ctx().gateway, "TRACE", target, {}),
        await sendRaw(ctx().gateway, "GET", target, { Host: "b" }),
        await sendRaw(ctx().gateway, "GET", "/api/p%00ublic", {}),
      ];
      for (const r of refused) expect([400, 405]).toContain(r.status);
      await new Promise((r) => setTimeout(r, 300));
      const after = (await ctx().decisionLog()).split("\n").filter((l) => l.includes('"refused_by_nginx"')).length;
      expect(after - before).toBe(refused.length);
    });
  });
}

/** A small deterministic generator: the fuzz is the same every run (a failure reproduces). */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** A JWS signed as is (jose refuses to sign a crit header it does not understand, which is the point). */
function signedRaw(header: Record<string, unknown>, payload: Record<string, unknown>, privateKeyPem: string): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(privateKeyPem).toString("base64url")}`;
}
