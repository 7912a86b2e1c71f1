import { expect } from "vitest";
import { parseAccessSpec, SpecValidationError } from "../../components/access-spec";
import { rawSpec } from "../fixtures/raw-spec";

/** The problems (`path: message`) a spec is refused with after `mutate`; fails the test if it is accepted. */
export function problemsOf(mutate: (raw: any) => void, base: () => any = rawSpec): string[] {
  const raw = base();
  mutate(raw);
  try {
    parseAccessSpec(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecValidationError);
    return (e as SpecValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error("expected the spec to be refused");
}
