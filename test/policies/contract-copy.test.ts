/**
 * The policy pack's copy of the shared contract (policies/contract/) is the
 * components' (components/contract/) as it is now: the pack checks exactly
 * the names the components render. `npm run sync:contract` refreshes it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..", "..");

describe("the policy pack's copy of the contract", () => {
  it("is the components' contract, file for file", async () => {
    const { contractCopy, CONTRACT_COPY } = await import(join(ROOT, "scripts", "sync-contract.mjs"));
    const expected: Record<string, string> = contractCopy(ROOT);
    const actual = Object.fromEntries(readdirSync(join(ROOT, CONTRACT_COPY)).map((f) => [f, readFileSync(join(ROOT, CONTRACT_COPY, f), "utf8")]));
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    expect(actual, "run npm run sync:contract").toEqual(expected);
  });

  it("is imported by the library only from components/contract, never from the pack's folder", () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".ts") && /from "[^"]*policies\//.test(readFileSync(path, "utf8"))) offenders.push(path);
      }
    };
    walk(join(ROOT, "components"));
    expect(offenders).toEqual([]);
  });
});
