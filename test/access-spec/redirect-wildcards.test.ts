/**
 * Keycloak matches a wildcard in a redirect URI only as its last character,
 * after the host and a "/": anywhere else it is taken literally and never
 * matches. Variants are generated the way a careless spec writes them.
 */
import { describe, expect, it } from "vitest";
import { parseAccessSpec, SpecValidationError } from "../../components/access-spec";
import { devRawSpec, rawSpec } from "../fixtures/raw-spec";

function problemsFor(uri: string, base: () => any = devRawSpec): string[] {
  const raw = base();
  raw.clients.browser = [{ clientId: "web", redirectUris: [uri], postLogoutRedirectUris: [] }];
  try {
    parseAccessSpec(raw);
    return [];
  } catch (e) {
    if (!(e instanceof SpecValidationError)) throw e;
    return e.problems.filter((p) => p.path.startsWith("clients.browser[0].redirectUris")).map((p) => `${p.path}: ${p.message}`);
  }
}

const hosts = ["localhost:3000", "shop.localtest.me", "127.0.0.1:8080"];
const misplaced = hosts.flatMap((h) => {
  const [name, port] = h.split(":");
  return [
    `http://*.${name}${port ? `:${port}` : ""}/cb`,
    `http://${name.replace(/^[^.]+/, "*")}${port ? `:${port}` : ""}/cb`,
    `http://${name}:*/cb`,
    `http://${name}:*`,
    `http://${h}*`,
    `http://${h}/*/callback`,
    `http://${h}/a*b`,
    `http://${h}/**`,
    `http://*`,
    `*`,
  ];
});
const honoured = hosts.flatMap((h) => [`http://${h}/*`, `http://${h}/app/*`, `http://${h}/app*`, `http://${h}/cb`]);

describe("wildcards in redirect URIs (dev allows them)", () => {
  it.each([...new Set(misplaced)])("%s is refused with its path", (uri) => {
    const found = problemsFor(uri);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^clients\.browser\[0\]\.redirectUris\[0\]: .*(Keycloak matches a wildcard only at the very end|not a valid URL)/);
  });

  it.each(honoured)("%s is accepted", (uri) => {
    expect(problemsFor(uri)).toEqual([]);
  });

  it("prod refuses any wildcard, well placed or not", () => {
    expect(problemsFor("https://shop.example.com/*", rawSpec)[0]).toMatch(/wildcard URL .* is only allowed in dev/);
  });
});
