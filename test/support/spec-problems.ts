import { expect } from "vitest";
import { parseAccessSpec, SpecValidationError, type SpecProblem } from "../../components/access-spec";
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

/** The problems a spec is refused with (empty when it is accepted). */
export function problemsIn(raw: unknown): SpecProblem[] {
  try {
    parseAccessSpec(raw as never);
    return [];
  } catch (e) {
    if (!(e instanceof SpecValidationError)) throw e;
    return e.problems;
  }
}

/**
 * The problems (`path: message`) a component's args are refused with after
 * `mutate`; fails the test if they are accepted, or refused any other way than
 * a SpecValidationError whose message starts `<Component> <name>: args are invalid`.
 */
export function argsProblemsOf<A>(construct: (name: string, args: A) => void, component: string, base: () => A, mutate: (args: any) => void): string[] {
  const args = base();
  mutate(args);
  try {
    construct("bad", args);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecValidationError);
    expect((e as Error).message.startsWith(`${component} bad: args are invalid`)).toBe(true);
    return (e as SpecValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error("expected the args to be refused");
}
