/**
 * A small, explicit reader for untyped config: every helper knows the field
 * path it reads, so an error names exactly what to fix
 * (`services[0].routes[1].path: ...`). Problems are collected, not thrown one
 * at a time, so a user sees every mistake in one run.
 */

export interface SpecProblem {
  path: string;
  message: string;
}

export class SpecValidationError extends Error {
  /** `subject` names what was read: the access spec, or a component's args. */
  constructor(
    readonly problems: SpecProblem[],
    subject = "access spec",
  ) {
    super(
      `${subject} ${subject.endsWith("args") ? "are" : "is"} invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n"),
    );
    this.name = "SpecValidationError";
  }
}

export type Raw = unknown;
export type RawObject = Record<string, unknown>;

/** JSON rendering of a bad value for messages, truncated so a huge value does not drown the error. */
export function show(value: unknown): string {
  const text = value === undefined ? "undefined" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

export class SpecReader {
  readonly problems: SpecProblem[] = [];
  private readonly failedPaths = new Set<string>();

  /**
   * Records a problem at `path`. Only the first one there counts: a value that
   * failed its own check is replaced by a placeholder, and further checks of
   * that placeholder ("1 is below the minimum" after "got -1") would only
   * describe a value the user never wrote.
   */
  fail(path: string, message: string): undefined {
    if (this.failedPaths.has(path) || this.insideFailedContainer(path)) return undefined;
    this.failedPaths.add(path);
    this.problems.push({ path, message });
    return undefined;
  }

  /** Objects and lists that were not one: what is "missing" inside them is their problem, already said. */
  private readonly failedContainers = new Set<string>();

  private failContainer(path: string, message: string): undefined {
    this.fail(path, message);
    this.failedContainers.add(path);
    return undefined;
  }

  private insideFailedContainer(path: string): boolean {
    for (
      let end = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
      end > 0;
      end = Math.max(path.lastIndexOf(".", end - 1), path.lastIndexOf("[", end - 1))
    ) {
      if (this.failedContainers.has(path.slice(0, end))) return true;
    }
    return false;
  }

  /** Whether a problem was reported at `path`: a field others depend on (a kind, a type) could not be read. */
  failedAt(path: string): boolean {
    return this.failedPaths.has(path);
  }

  throwIfProblems(subject?: string): void {
    if (this.problems.length > 0) throw new SpecValidationError(this.problems, subject);
  }

  /** `keysUnder` is the path its keys are reported under (the top level's keys have no prefix). */
  object(path: string, value: Raw, known: readonly string[], keysUnder = path): RawObject | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.failContainer(path, `expected an object, got ${show(value)}`);
    }
    const obj = value as RawObject;
    // Unknown keys are almost always typos of optional settings; silently
    // ignoring them would leave a security setting at its default.
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) this.fail(join(keysUnder, key), `unknown field${didYouMean(key, known)} (known: ${known.join(", ")})`);
    }
    return obj;
  }

  optionalObject(path: string, value: Raw, known: readonly string[]): RawObject {
    return value === undefined ? {} : (this.object(path, value, known) ?? {});
  }

  string(path: string, value: Raw, opts: { default?: string; pattern?: RegExp; describe?: string } = {}): string {
    if (value === undefined && opts.default !== undefined) return opts.default;
    if (typeof value !== "string" || value.length === 0) {
      return this.fail(path, `expected a non-empty string, got ${show(value)}`) ?? "";
    }
    if (opts.pattern && !opts.pattern.test(value)) {
      return this.fail(path, `${show(value)} is not ${opts.describe ?? `a match for ${opts.pattern}`}`) ?? value;
    }
    return value;
  }

  integer(path: string, value: Raw, opts: { default?: number; min: number; max: number }): number {
    if (value === undefined && opts.default !== undefined) return opts.default;
    if (typeof value !== "number" || !Number.isInteger(value) || value < opts.min || value > opts.max) {
      return this.fail(path, `expected an integer from ${opts.min} to ${opts.max}, got ${show(value)}`) ?? opts.min;
    }
    return value;
  }

  boolean(path: string, value: Raw, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") return this.fail(path, `expected true or false, got ${show(value)}`) ?? fallback;
    return value;
  }

  oneOf<T extends string>(path: string, value: Raw, allowed: readonly T[], fallback?: T): T {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
      return this.fail(path, `${show(value)} is not one of ${allowed.join(", ")}`) ?? allowed[0];
    }
    return value as T;
  }

  array<T>(path: string, value: Raw, item: (path: string, value: Raw) => T, opts: { optional?: boolean; minItems?: number } = {}): T[] {
    if (value === undefined && opts.optional) return [];
    if (!Array.isArray(value)) return this.failContainer(path, `expected a list, got ${show(value)}`) ?? [];
    if (opts.minItems !== undefined && value.length < opts.minItems) {
      this.fail(path, `expected at least ${opts.minItems} item${opts.minItems === 1 ? "" : "s"}, got ${value.length}`);
    }
    const items = value.map((v, i) => item(join(path, i), v));
    // A name, URL or port listed twice is a copy-paste slip, and it would reach Keycloak and APISIX as written.
    const scalars = items.every((v) => typeof v === "string" || typeof v === "number");
    if (scalars)
      this.unique(
        items,
        (v) => String(v),
        (i) => join(path, i),
        "entry",
      );
    return items;
  }

  stringMap(path: string, value: Raw, keyPattern: RegExp, valuePattern: RegExp): Record<string, string> | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.failContainer(path, `expected a map of strings, got ${show(value)}`);
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!keyPattern.test(k)) this.fail(join(path, k), `${show(k)} is not a valid key`);
      else out[k] = this.string(join(path, k), v, { pattern: valuePattern, describe: "a valid value" });
    }
    return out;
  }

  /** Reports every value that occurs more than once, at the path of its second occurrence. */
  unique<T>(items: T[], key: (item: T) => string, pathOf: (index: number) => string, what: string): void {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const k = key(item);
      const first = seen.get(k);
      if (first !== undefined) this.fail(pathOf(i), `duplicate ${what} ${show(k)} (first at ${pathOf(first)})`);
      else seen.set(k, i);
    });
  }
}

/** Edit distance (insertions, deletions, substitutions): how far a typo is from a known name. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** ` (did you mean "x"?)` for the known name nearest a misspelt one, or "" when none is near. */
export function didYouMean(value: string, known: readonly string[]): string {
  // A unit or qualifier left off ("read" for "readSeconds") is as common as a typo.
  const extended = value.length >= 3 ? known.filter((k) => k.toLowerCase().startsWith(value.toLowerCase())) : [];
  if (extended.length === 1) return ` (did you mean ${show(extended[0])}?)`;
  const scored = known.map((k) => ({ k, d: editDistance(value.toLowerCase(), k.toLowerCase()) })).sort((x, y) => x.d - y.d);
  const best = scored[0];
  return best && best.d <= Math.max(1, Math.floor(Math.max(value.length, best.k.length) / 3)) ? ` (did you mean ${show(best.k)}?)` : "";
}
