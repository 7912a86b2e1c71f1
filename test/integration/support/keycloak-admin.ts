import type { KeycloakAccess } from "./tokens";

/** Just enough of Keycloak's admin REST API for the key-rotation drill. */
export class KeycloakAdmin {
  private constructor(
    private readonly kc: KeycloakAccess,
    private readonly token: string,
  ) {}

  static async login(kc: KeycloakAccess): Promise<KeycloakAdmin> {
    const res = await fetch(`${kc.baseUrl}/realms/master/protocol/openid-connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "password", client_id: "admin-cli", username: "admin", password: "admin" }),
    });
    if (!res.ok) throw new Error(`admin login: ${res.status} ${await res.text()}`);
    return new KeycloakAdmin(kc, ((await res.json()) as { access_token: string }).access_token);
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.kc.baseUrl}/admin/realms/${this.kc.realm}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  }

  /** Active RS256 signing keys: kid -> key provider component id. */
  async rsaSigningKeys(): Promise<Array<{ kid: string; providerId: string; status: string; priority: number }>> {
    const keys = (await (await this.call("GET", "/keys")).json()) as {
      keys: Array<{ kid: string; providerId: string; status: string; algorithm: string; use: string; providerPriority: number }>;
    };
    return keys.keys
      .filter((k) => k.algorithm === "RS256" && k.use === "SIG")
      .map((k) => ({ kid: k.kid, providerId: k.providerId, status: k.status, priority: k.providerPriority }));
  }

  private async realmId(): Promise<string> {
    return ((await (await this.call("GET", "")).json()) as { id: string }).id;
  }

  /** Adds a generated RS256 key above every other: Keycloak signs new tokens with it from now on. */
  async addRsaKey(name: string, priority: number): Promise<void> {
    await this.call("POST", "/components", {
      name,
      providerId: "rsa-generated",
      providerType: "org.keycloak.keys.KeyProvider",
      parentId: await this.realmId(),
      config: { priority: [String(priority)], keySize: ["2048"], active: ["true"], enabled: ["true"], algorithm: ["RS256"] },
    });
  }

  /** Retires a key provider: passive (verifies, no longer signs) or disabled (gone from the JWKS). */
  async retireKey(providerId: string, how: "passive" | "disabled"): Promise<void> {
    const component = (await (await this.call("GET", `/components/${providerId}`)).json()) as { config: Record<string, string[]> };
    component.config.active = ["false"];
    if (how === "disabled") component.config.enabled = ["false"];
    await this.call("PUT", `/components/${providerId}`, component);
  }
}
