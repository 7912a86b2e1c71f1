/**
 * The identity-provider outage drill: the realm stops answering (every
 * connection dropped, as a Keycloak pod being replaced) for longer than the
 * gateway's JWKS cache and its outage bound, then comes back. Bearer callers
 * with tokens the gateway has seen and never seen, a signed-in browser
 * session, and sign-ins (on a warm gateway, on one that never reached the
 * realm, and one caught mid-way) are probed throughout.
 */
import type { AccessSpec } from "../../../components/access-spec";
import { TestBrowser, loginForm } from "../support/browser";
import type { Address, RunningGateway } from "../support/gateway-runtime";
import type { RealmIdentityProvider } from "../support/identity-provider";
import { send, type Reply } from "../support/http";

export interface OutageWorld {
  spec: AccessSpec;
  gateway: Address;
  idp: RealmIdentityProvider;
  /** A valid token this gateway has already served. */
  seenToken: string;
  /** A valid token nobody has used yet (each call a new one). */
  freshToken(): Promise<string>;
  /** Starts another gateway on the same world, which has never reached the realm once the outage began. */
  startGateway(): Promise<RunningGateway>;
  /** The test browser's host -> address map, and the app's URL and a seed user. */
  browserAddresses: Record<string, Address>;
  portalUrl: string;
  user: { username: string; password: string };
  /** The outage lasts the JWKS refresh window plus this bound plus `extraSeconds`. */
  boundSeconds: number;
  extraSeconds?: number;
  /** A bearer path any role may GET. */
  bearerPath: string;
}

export interface OutageProbe {
  at: number;
  bearer: number[];
  session: number;
  waited: number;
}

export interface OutageResult {
  downAt: number;
  probes: OutageProbe[];
  /** What sign-ins got during the outage: status, and how long the answer took. */
  signIn: {
    warmRedirect: { status: number; location: string; ms: number };
    coldGateway: { status: number; retryAfter?: string; body: string; ms: number };
    callbackMidway: { status: number; retryAfter?: string; ms: number };
  };
  /** Seconds from the realm's return to the first probe with every bearer and the session at 200. */
  recoveredSeconds: number;
  /** JWKS fetches during the 20 probes after recovery. */
  jwksAfterRecovery: number;
  /** The signed-in session's status after recovery (its renewal failed during the outage, or not). */
  sessionAfterRecovery: number;
  /** A realm that takes requests and never answers: how long callers waited, and what they got. */
  stalled: { bearerMs: number; bearerStatus: number; coldSignIn: { status: number; ms: number } };
  unreachableConnections: number;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await f();
  return { value, ms: Date.now() - started };
}

/** Signs in through the gateway; returns the browser holding the session. */
async function signedInBrowser(w: OutageWorld): Promise<TestBrowser> {
  const browser = new TestBrowser(w.browserAddresses);
  const landed = await browser.signIn(`${w.portalUrl}/home/outage`, w.user);
  if (landed.reply.status !== 200) throw new Error(`sign-in before the outage failed: ${landed.reply.status} at ${landed.url}`);
  return browser;
}

/** A sign-in stopped just before the browser returns to the gateway's callback: the browser, and that callback URL. */
async function signInUpToCallback(w: OutageWorld): Promise<{ browser: TestBrowser; callback: string }> {
  const browser = new TestBrowser(w.browserAddresses);
  const login = await browser.navigate("GET", `${w.portalUrl}/home/midway`);
  let url = new URL(loginForm(login.reply.body).action, login.url).toString();
  let reply: Reply = await browser.request("POST", url, { ...w.user, credentialId: "" });
  for (let hops = 0; hops < 10 && [302, 303].includes(reply.status); hops++) {
    url = new URL(String(reply.headers.location), url).toString();
    if (url.startsWith(w.portalUrl)) return { browser, callback: url };
    reply = await browser.request("GET", url);
  }
  throw new Error(`the realm did not send the browser back to the gateway (last: ${reply.status} at ${url})`);
}

export async function runIdpOutageDrill(w: OutageWorld): Promise<OutageResult> {
  const page = { accept: "text/html" };
  const ttl = Math.floor(w.spec.gateway.jwksCacheSeconds / 2);
  const session = await signedInBrowser(w);
  const midway = await signInUpToCallback(w);
  const bearer = (token: string) => send(w.gateway, "GET", w.bearerPath, { authorization: `Bearer ${token}` }).then((r) => r.status);
  const probe = async (): Promise<OutageProbe> => {
    const started = Date.now();
    const statuses = [await bearer(w.seenToken), await bearer(await w.freshToken())];
    const sessionStatus = (await session.request("GET", `${w.portalUrl}/api/outage`)).status;
    return { at: Date.now(), bearer: statuses, session: sessionStatus, waited: Date.now() - started };
  };
  if ((await probe()).bearer.some((s) => s !== 200)) throw new Error("bearer probes fail before the outage");

  const downAt = Date.now();
  w.idp.unreachable = true;
  const probes: OutageProbe[] = [];
  let signIn: OutageResult["signIn"];
  // A pod started during the outage (a rollout, a reschedule): it never reached the realm.
  const cold = await w.startGateway();
  try {
    const warm = await timed(() => new TestBrowser(w.browserAddresses).request("GET", `${w.portalUrl}/home/during`, undefined, page));
    const coldHost = new URL(w.portalUrl).host;
    const coldReply = await timed(() => send(cold.http, "GET", `${new URL(w.portalUrl).pathname}/home/during`, { ...page, host: coldHost }));
    const callback = await timed(() => midway.browser.request("GET", midway.callback));
    signIn = {
      warmRedirect: { status: warm.value.status, location: String(warm.value.headers.location ?? ""), ms: warm.ms },
      coldGateway: {
        status: coldReply.value.status,
        retryAfter: coldReply.value.headers["retry-after"] as string | undefined,
        body: coldReply.value.body,
        ms: coldReply.ms,
      },
      callbackMidway: { status: callback.value.status, retryAfter: callback.value.headers["retry-after"] as string | undefined, ms: callback.ms },
    };
    while (Date.now() - downAt < (ttl + w.boundSeconds + (w.extraSeconds ?? 4)) * 1000) {
      probes.push(await probe());
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    w.idp.unreachable = false;
    await cold.stop();
  }
  const unreachableConnections = w.idp.count("unreachable");
  const back = Date.now();
  let recovered = await probe();
  while (recovered.bearer.some((s) => s !== 200) && Date.now() - back < 30_000) recovered = await probe();
  const jwks = w.idp.count("jwks");
  let last = recovered;
  for (let i = 0; i < 20; i++) last = await probe();
  const jwksAfterRecovery = w.idp.count("jwks") - jwks;
  return {
    downAt,
    probes,
    signIn,
    recoveredSeconds: (recovered.at - back) / 1000,
    jwksAfterRecovery,
    sessionAfterRecovery: last.session,
    unreachableConnections,
    stalled: await stalledRealm(w),
  };
}

/** The realm hangs instead of refusing: fetches must give up on their own timeout (3 s), and only sign-ins may wait that long. */
async function stalledRealm(w: OutageWorld): Promise<OutageResult["stalled"]> {
  w.idp.stalled = true;
  const cold = await w.startGateway();
  try {
    const bearer = await timed(() => send(w.gateway, "GET", w.bearerPath, { authorization: `Bearer ${w.seenToken}` }));
    const coldSignIn = await timed(() =>
      send(cold.http, "GET", `${new URL(w.portalUrl).pathname}/home/stalled`, { accept: "text/html", host: new URL(w.portalUrl).host }),
    );
    return { bearerMs: bearer.ms, bearerStatus: bearer.value.status, coldSignIn: { status: coldSignIn.value.status, ms: coldSignIn.ms } };
  } finally {
    w.idp.stalled = false;
    await cold.stop();
  }
}
