/**
 * URLs are compared as written (Keycloak's redirect URIs and web origins, the
 * token issuer), so what a paste adds, or a lookalike letter, must be refused
 * rather than parsed away: every URL of the fixture and the dev stack, with a
 * space before or after, a newline, a tab, or a Cyrillic "а" for "a".
 */
import { describe, expect, it } from "vitest";
import { rawSpec } from "../fixtures/raw-spec";
import { loadRawStackSpec } from "../../scripts/lib/stack-config";
import { problemsIn } from "../support/spec-problems";

type Path = (string | number)[];
function urlLeaves(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (typeof value === "string" && /^https?:\/\//.test(value)) out.push(path);
  else if (value !== null && typeof value === "object")
    for (const [k, child] of Object.entries(value)) urlLeaves(child, [...path, Array.isArray(value) ? Number(k) : k], out);
  return out;
}
const pathText = (p: Path) => p.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${k}`)).join("");
const pasted = (url: string) => [` ${url}`, `${url} `, `${url}\n`, `${url}\t`, url.replace(/(https?:\/\/[^.a]*)a/, "$1\u0430")];

describe.each([
  ["fixture (prod)", rawSpec],
  ["dev stack", () => JSON.parse(JSON.stringify(loadRawStackSpec(process.cwd(), "dev")))],
])("URLs of the %s as pasted", (_name, base) => {
  it("are refused at their path, naming what is wrong", () => {
    const paths = urlLeaves(base());
    expect(paths.length).toBeGreaterThanOrEqual(4);
    const accepted: string[] = [];
    for (const path of paths) {
      const url = path.reduce((o: any, k) => o[k], base()) as string;
      for (const variant of pasted(url)) {
        if (variant === url) continue;
        const raw = base();
        const parent = path.slice(0, -1).reduce((o: any, k) => o[k], raw);
        parent[path[path.length - 1]] = variant;
        const refused = problemsIn(raw).some((p) => p.path === pathText(path) && p.message.includes("a non-ASCII character"));
        if (!refused) accepted.push(`${pathText(path)} = ${JSON.stringify(variant)}`);
      }
    }
    expect(accepted).toEqual([]);
  });
});
