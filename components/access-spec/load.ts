import { crossCheck } from "./crosscheck";
import { RawAccessSpec, readSpecFields } from "./parse";
import { SpecReader } from "./reader";
import type { AccessSpec } from "./types";

/**
 * The one entry point from raw config to a validated spec. Throws
 * `SpecValidationError` listing every problem, before any resource exists.
 */
export function parseAccessSpec(raw: RawAccessSpec): AccessSpec {
  const r = new SpecReader();
  const spec = readSpecFields(r, raw);
  // Cross-references over half-read fields would only add noise.
  r.throwIfProblems();
  crossCheck(r, spec);
  r.throwIfProblems();
  return deepFreeze(spec);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
