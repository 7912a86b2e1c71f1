// jose is ESM-only; this project compiles to CommonJS, so it is loaded with import().
const jose = () => import("jose");

export interface KeycloakAccess {
  /** Keycloak as the test host reaches it (mapped port). */
  baseUrl: string;
  realm: string;
}

/** A real access token for a machine client (client credentials, secret by HTTP Basic as Keycloak and every OP accept it). */
export async function clientCredentialsToken(kc: KeycloakAccess, clientId: string, clientSecret: string): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64");
  const res = await fetch(`${kc.baseUrl}/realms/${kc.realm}/protocol/openid-connect/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
  if (!res.ok) throw new Error(`token for ${clientId}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The realm's published keys (as the gateway sees them). */
export async function realmJwks(kc: KeycloakAccess): Promise<Array<Record<string, string>>> {
  const res = await fetch(`${kc.baseUrl}/realms/${kc.realm}/protocol/openid-connect/certs`);
  return ((await res.json()) as { keys: Array<Record<string, string>> }).keys;
}

/** The kid Keycloak gave the imported test key: the JWKS entry whose modulus is the test key's. */
export async function testKeyKid(kc: KeycloakAccess, publicKeyPem: string): Promise<string> {
  const { exportJWK, importSPKI } = await jose();
  const jwk = await exportJWK(await importSPKI(publicKeyPem, "RS256"));
  const match = (await realmJwks(kc)).find((k) => k.n === jwk.n);
  if (!match) throw new Error("the imported test key is not in the realm's JWKS");
  return match.kid;
}

export interface ClaimsFactory {
  issuer: string;
  audience: string;
}

/**
 * Tokens for the attack table. Those signed with the realm-trusted test key
 * isolate one claim at a time: everything else about them is valid.
 */
export class TokenForge {
  /** `testKey`: a key the realm publishes (PKCS#8 private, SPKI public) and its kid. */
  constructor(
    private readonly claims: ClaimsFactory,
    private readonly testKey: { privateKeyPem: string; publicKeyPem: string; kid: string },
  ) {}

  payload(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.claims.issuer,
      aud: this.claims.audience,
      sub: "forged-subject",
      azp: "forged",
      iat: now,
      exp: now + 300,
      realm_access: { roles: [] },
      tenant_id: "acme",
      ...extra,
    };
  }

  async signed(payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const { SignJWT, importPKCS8 } = await jose();
    const key = await importPKCS8(this.testKey.privateKeyPem, "RS256");
    return new SignJWT(payload as any).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.testKey.kid, ...header }).sign(key);
  }

  /** Valid in every respect (the baseline: must be accepted where its roles allow); `extra` claims on top (undefined removes one). */
  valid(roles: string[] = [], extra: Record<string, unknown> = {}) {
    const payload = this.payload({ realm_access: { roles }, ...extra });
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return this.signed(payload);
  }
  expired() {
    const now = Math.floor(Date.now() / 1000);
    return this.signed(this.payload({ iat: now - 900, exp: now - 300 }));
  }
  wrongIssuer() {
    return this.signed(this.payload({ iss: "http://evil.example.com/realms/e2e" }));
  }
  wrongAudience() {
    return this.signed(this.payload({ aud: "some-other-api" }));
  }
  unknownKid() {
    return this.signed(this.payload(), { kid: "no-such-key" });
  }
  async algNone() {
    const { UnsecuredJWT } = await jose();
    return new UnsecuredJWT(this.payload({ realm_access: { roles: ["admin"] } }) as any).setIssuer(this.claims.issuer).encode();
  }

  /** Signed by a key the realm never saw, under the kid of the realm's own signing key. */
  async foreignKey(realmKid: string) {
    const { SignJWT, generateKeyPair } = await jose();
    const { privateKey } = await generateKeyPair("RS256");
    return new SignJWT(this.payload({ realm_access: { roles: ["admin"] } }) as any).setProtectedHeader({ alg: "RS256", kid: realmKid }).sign(privateKey);
  }

  /** Algorithm confusion: HS256 with the realm's public key as the HMAC secret. */
  async hs256WithPublicKey() {
    const { SignJWT } = await jose();
    return new SignJWT(this.payload({ realm_access: { roles: ["admin"] } }) as any)
      .setProtectedHeader({ alg: "HS256", kid: this.testKey.kid })
      .sign(new TextEncoder().encode(this.testKey.publicKeyPem));
  }
}

/** The payload of a JWT, not verified (the test reads its own tokens). */
export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

/** The protected header of a JWT. */
export function headerOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
}

/** A real token with its payload changed (roles raised) and the original signature kept. */
export function tamper(token: string, change: (payload: Record<string, any>) => void): string {
  const [header, , signature] = token.split(".");
  const payload = claimsOf(token);
  change(payload);
  return `${header}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${signature}`;
}

export const kidOf = (token: string) => headerOf(token).kid as string;
