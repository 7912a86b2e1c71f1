// The policy pack must stand alone (it is published from policies/), so it
// gets a copy of the contract the components and the pack share
// (components/contract/ -> policies/contract/). `npm run sync:contract`
// writes it; test/policies/contract-copy.test.ts fails while it is stale.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const CONTRACT_SOURCE = "components/contract";
export const CONTRACT_COPY = "policies/contract";
export const COPY_HEADER = "// GENERATED from components/contract/ by `npm run sync:contract`: edit the source, not this copy.\n";

/** The copy's files (name -> text) for the source as it is now. */
export function contractCopy(root) {
  return Object.fromEntries(
    readdirSync(join(root, CONTRACT_SOURCE))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => [f, COPY_HEADER + readFileSync(join(root, CONTRACT_SOURCE, f), "utf8")]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.cwd();
  rmSync(join(root, CONTRACT_COPY), { recursive: true, force: true });
  mkdirSync(join(root, CONTRACT_COPY), { recursive: true });
  for (const [name, text] of Object.entries(contractCopy(root))) writeFileSync(join(root, CONTRACT_COPY, name), text);
  console.log(`wrote ${CONTRACT_COPY}/ from ${CONTRACT_SOURCE}/`);
}
