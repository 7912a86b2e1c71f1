import { send, type Reply } from "./http";

type Address = { host: string; port: number };

/**
 * A minimal browser: follows redirects by hand, keeps cookies per host, and
 * maps the hosts the realm and gateway put in URLs (network aliases such as
 * keycloak:8080) to the ports the test host reaches them on, sending the
 * original Host header so every URL and cookie stays as the browser would see it.
 */
export class TestBrowser {
  private readonly jars = new Map<string, Map<string, string>>();
  readonly visited: string[] = [];
  /** Every Set-Cookie line received, in order (attributes included). */
  readonly setCookies: string[] = [];

  constructor(private readonly addresses: Record<string, Address>) {}

  private jar(host: string): Map<string, string> {
    if (!this.jars.has(host)) this.jars.set(host, new Map());
    return this.jars.get(host)!;
  }

  private store(host: string, reply: Reply): void {
    const cookies = reply.headers["set-cookie"] ?? [];
    for (const line of [cookies].flat()) {
      this.setCookies.push(line);
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (expired || value === "") this.jar(host).delete(name);
      else this.jar(host).set(name, value);
    }
  }

  cookies(host: string): Map<string, string> {
    return this.jar(host);
  }

  /** One request, no redirect following. */
  async request(method: string, url: string, body?: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
    const u = new URL(url);
    const address = this.addresses[u.host];
    if (!address) throw new Error(`the test browser cannot reach ${u.host}`);
    const jar = this.jar(u.host);
    const form = body ? new URLSearchParams(body).toString() : undefined;
    const reply = await send(
      address,
      method,
      `${u.pathname}${u.search}`,
      {
        host: u.host,
        ...(jar.size > 0 ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } : {}),
        ...(form ? { "content-type": "application/x-www-form-urlencoded", "content-length": String(Buffer.byteLength(form)) } : {}),
        ...headers,
      },
      form,
    );
    this.visited.push(`${method} ${url} -> ${reply.status}`);
    this.store(u.host, reply);
    return reply;
  }

  /** Opens `url` (which sends the browser to the realm's login), signs in as `user`, and lands back where it started. */
  async signIn(url: string, user: { username: string; password: string }): Promise<{ reply: Reply; url: string; redirects: number }> {
    const login = await this.navigate("GET", url);
    return this.navigate("POST", new URL(loginForm(login.reply.body).action, login.url).toString(), {
      username: user.username,
      password: user.password,
      credentialId: "",
    });
  }

  /** Follows redirects (GET after each) until a non-redirect answer; returns it with the final URL. */
  async navigate(
    method: string,
    url: string,
    body?: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<{ reply: Reply; url: string; redirects: number }> {
    let reply = await this.request(method, url, body, headers);
    let current = url;
    let redirects = 0;
    while ([301, 302, 303, 307].includes(reply.status) && redirects < 10) {
      current = new URL(String(reply.headers.location), current).toString();
      reply = await this.request("GET", current);
      redirects++;
    }
    return { reply, url: current, redirects };
  }
}

/** The login form's action URL and field names on a Keycloak login page. */
export function loginForm(html: string): { action: string } {
  const m = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html) ?? /<form[^>]*action="([^"]+)"/.exec(html);
  if (!m) throw new Error("no login form on the page");
  return { action: m[1].replace(/&amp;/g, "&") };
}

/**
 * A logout confirmation page's form (oidc-provider asks before ending the
 * session; Keycloak does when there is no id_token_hint): its action and the
 * fields a "yes, sign me out" submits. Undefined when the page asks nothing.
 */
export function logoutConfirmation(html: string): { action: string; fields: Record<string, string> } | undefined {
  const form = /<form[^>]*id="(?:op\.logoutForm|kc-logout-form)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) return undefined;
  const action = /action="([^"]+)"/.exec(form[0])?.[1];
  if (!action) return undefined;
  const fields: Record<string, string> = { logout: "yes" };
  for (const m of form[1].matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(m[0])?.[1];
    if (name) fields[name] = /value="([^"]*)"/.exec(m[0])?.[1] ?? "";
  }
  return { action: action.replace(/&amp;/g, "&"), fields };
}
