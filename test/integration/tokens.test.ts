/**
 * The attack table is only as good as its tokens: each forged token must be
 * broken in exactly the one way its name says. Checked here with jose,
 * without containers.
 */
import { generateKeyPairSync } from "node:crypto";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { probeE2eEnvironment } from "./support/environment";
import { TokenForge, claimsOf, tamper } from "./support/tokens";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
const claims = { issuer: "http://keycloak:8080/realms/e2e", audience: "api-gateway" };
const forge = new TokenForge(claims, { privateKeyPem: privatePem, publicKeyPem: publicPem, kid: "test-kid" });
const verify = async (token: string) =>
  jwtVerify(token, await importSPKI(publicPem, "RS256"), { issuer: claims.issuer, audience: claims.audience, algorithms: ["RS256"] });

describe("forged tokens for the attack table", () => {
  it("the valid one verifies, with the test kid and the roles asked for", async () => {
    const { payload, protectedHeader } = await verify(await forge.valid(["viewer"]));
    expect(protectedHeader.kid).toBe("test-kid");
    expect((payload as any).realm_access.roles).toEqual(["viewer"]);
  });

  it("expired: signature fine, expired more than the gateway's 120 s leeway ago", async () => {
    const token = await forge.expired();
    await expect(verify(token)).rejects.toThrow(/exp/);
    expect(claimsOf(token).exp).toBeLessThan(Date.now() / 1000 - 120);
  });

  it("wrong issuer and wrong audience fail only on that claim", async () => {
    await expect(verify(await forge.wrongIssuer())).rejects.toThrow(/iss/);
    await expect(verify(await forge.wrongAudience())).rejects.toThrow(/aud/);
  });

  it("unknown kid names a key nobody has", async () => {
    expect(decodeProtectedHeader(await forge.unknownKid()).kid).toBe("no-such-key");
  });

  it("alg none carries no signature", async () => {
    const token = await forge.algNone();
    expect(decodeProtectedHeader(token).alg).toBe("none");
    expect(token.endsWith(".")).toBe(true);
  });

  it("HS256 confusion uses the public key as an HMAC secret", async () => {
    expect(decodeProtectedHeader(await forge.hs256WithPublicKey()).alg).toBe("HS256");
  });

  it("a foreign key under the realm's kid does not verify against the realm key", async () => {
    const token = await forge.foreignKey("realm-kid");
    expect(decodeProtectedHeader(token).kid).toBe("realm-kid");
    await expect(verify(token)).rejects.toThrow(/signature/);
  });

  it("tampering changes the payload and keeps the signature, which then fails", async () => {
    const original = await forge.valid(["viewer"]);
    const forged = tamper(original, (p) => (p.realm_access.roles = ["admin"]));
    expect(claimsOf(forged).realm_access.roles).toEqual(["admin"]);
    expect(forged.split(".")[2]).toBe(original.split(".")[2]);
    await expect(verify(forged)).rejects.toThrow(/signature/);
  });
});

describe("skipping honestly", () => {
  it("GATEWAY_E2E=off skips with that reason", async () => {
    process.env.GATEWAY_E2E = "off";
    try {
      expect(await probeE2eEnvironment()).toEqual({ ready: false, reason: "disabled with GATEWAY_E2E=off" });
    } finally {
      delete process.env.GATEWAY_E2E;
    }
  });
});
