/**
 * The render is reviewed as a diff (out/<stack>/ is committed): a change to the
 * spec must show as lines about what changed, nothing else. Added here to the
 * dev stack, one route at a time, in several places: apisix.yaml gains only
 * lines, and every one of them belongs to the new route's entries.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAccessSpec } from "../../components/access-spec";
import { renderGatewayFiles } from "../../components/gateway";
import { loadRawStackSpec } from "../../scripts/lib/stack-config";

const scratch = mkdtempSync(join(tmpdir(), "review-diff-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const devRaw = () => JSON.parse(JSON.stringify(loadRawStackSpec(process.cwd(), "dev")));
const apisixYaml = (raw: any) => renderGatewayFiles(parseAccessSpec(raw))["apisix.yaml"];

/** `diff` of two renders: the lines it removes and the lines it adds. */
function lineDiff(before: string, after: string): { removed: string[]; added: string[] } {
  writeFileSync(join(scratch, "before"), before);
  writeFileSync(join(scratch, "after"), after);
  const out = spawnSync("diff", [join(scratch, "before"), join(scratch, "after")], { encoding: "utf8" }).stdout;
  return {
    removed: out.split("\n").filter((l) => l.startsWith("< ")),
    added: out.split("\n").filter((l) => l.startsWith("> ")),
  };
}

/** The entries of apisix.yaml's `routes:` list (each starts with `- id: `), by id. */
function routeEntries(yaml: string): Map<string, string> {
  const start = yaml.indexOf("\nroutes:\n");
  const section = yaml.slice(start, yaml.indexOf("\nupstreams:\n", start));
  const entries = new Map<string, string>();
  for (const chunk of section.split(/\n(?=- id: )/).slice(1)) entries.set(/^- id: "?([^"\n]+)"?/.exec(chunk)![1], chunk);
  return entries;
}

/** What is added, how, and a word every new route id carries (the route's path). */
const additions: [string, (raw: any) => void, string][] = [
  [
    "a protected route at the end of a service",
    (raw) => raw.services[0].routes.push({ path: "/api/invoices/*", rules: [{ methods: ["GET"], roles: ["viewer"] }] }),
    "invoices",
  ],
  [
    "a protected route in front of a service's others",
    (raw) => raw.services[1].routes.unshift({ path: "/api/vouchers", rules: [{ methods: ["POST"], roles: ["editor"] }] }),
    "vouchers",
  ],
  ["a public route", (raw) => raw.services[1].routes.push({ path: "/api/catalog-version", public: true }), "version"],
];

describe.each(additions)("adding %s to the dev stack", (_what, add, word) => {
  const before = apisixYaml(devRaw());
  const edited = devRaw();
  add(edited);
  const after = apisixYaml(edited);

  it("removes or changes no line of apisix.yaml", () => {
    expect(lineDiff(before, after).removed).toEqual([]);
  });

  it("adds only the new route's entries, and renames no route", () => {
    const old = routeEntries(before);
    const now = routeEntries(after);
    for (const [id, entry] of old) expect(now.get(id), id).toBe(entry);
    const fresh = [...now.keys()].filter((id) => !old.has(id));
    expect(fresh.length).toBeGreaterThan(0);
    for (const id of fresh) expect(id).toContain(word);
    const freshText = fresh.map((id) => now.get(id)).join("\n");
    for (const line of lineDiff(before, after).added) expect(freshText, line).toContain(line.slice(2));
  });
});
