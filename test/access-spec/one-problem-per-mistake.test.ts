import { describe, expect, it } from "vitest";
import { SpecValidationError } from "../../components/access-spec";
import { readSpecFields } from "../../components/access-spec/parse";
import { SpecReader } from "../../components/access-spec/reader";
import { rawSpec } from "../fixtures/raw-spec";
import { problemsIn } from "../support/spec-problems";
import { loadRawStackSpec } from "../../scripts/lib/stack-config";

/**
 * A careless user's single mistake, made everywhere: every leaf of the fixture
 * spec and of the example stacks is replaced by a value of the wrong type, an
 * empty string, a negative or fractional number. Whatever the parser says must
 * be about that field alone, once: no second message about a placeholder the
 * parser substituted ("1 is below the minimum" after "got -1"), no complaint
 * about a field the user did not touch. Leaving a field out is a mistake too.
 */
type Path = (string | number)[];

function leaves(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (value !== null && typeof value === "object") {
    for (const [k, child] of Object.entries(value)) leaves(child, [...path, Array.isArray(value) ? Number(k) : k], out);
  } else if (value !== undefined) out.push(path);
  return out;
}

/** Marks a field left out (a required one missing, an optional one defaulted). */
const LEFT_OUT = Symbol("left out");

const pathText = (p: Path) => p.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${k}`)).join("");

function wrongValues(original: unknown): unknown[] {
  if (typeof original === "string") return [42, "", true, ["x"], LEFT_OUT];
  if (typeof original === "number") return ["x", -1, 1.5, 1e12, { n: 1 }, LEFT_OUT];
  if (typeof original === "boolean") return ["yes", 1, LEFT_OUT];
  return [];
}

function setAt(root: any, path: Path, value: unknown): void {
  const parent = path.slice(0, -1).reduce((o, k) => o[k], root);
  const key = path[path.length - 1];
  if (value !== LEFT_OUT) parent[key] = value;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key];
}

const problemsAfter = problemsIn;

/** The problems of reading the fields alone, before any cross-check between them. */
function fieldProblemsAfter(raw: any): { path: string; message: string }[] {
  const r = new SpecReader();
  try {
    readSpecFields(r, raw);
  } catch (e) {
    if (!(e instanceof SpecValidationError)) throw e;
  }
  return r.problems;
}

const bases: [string, () => any][] = [
  ["fixture (prod)", rawSpec],
  ["dev stack", () => loadRawStackSpec(process.cwd(), "dev")],
  ["prod stack", () => loadRawStackSpec(process.cwd(), "prod")],
];

describe.each(bases)("one mistake in the %s", (_name, base) => {
  const paths = leaves(base());

  it("covers the spec's fields (the generator found them)", () => {
    expect(paths.length).toBeGreaterThan(30);
  });

  it("is reported once, at its own path, whatever the field", () => {
    const noisy: string[] = [];
    for (const path of paths) {
      const original = path.reduce((o: any, k) => o[k], base());
      for (const wrong of wrongValues(original)) {
        const raw = base();
        setAt(raw, path, wrong);
        // A field left out may rightly break a rule elsewhere (a group without its roles leaves a
        // rule nobody can pass): the cross-checks speak to that; reading the fields must not.
        const problems = wrong === LEFT_OUT ? fieldProblemsAfter(raw) : problemsAfter(raw);
        const here = pathText(path);
        // What a field left out leaves incomplete may be its parent (a list one item short, a route of no kind).
        const allowed = wrong === LEFT_OUT ? [here, pathText(path.slice(0, -1))] : [here];
        const elsewhere = problems.filter((p) => !allowed.includes(p.path));
        if (problems.length > 1 || elsewhere.length > 0) {
          noisy.push(
            `${here} = ${wrong === LEFT_OUT ? "(left out)" : JSON.stringify(wrong)}:\n    ${problems.map((p) => `${p.path}: ${p.message}`).join("\n    ")}`,
          );
        }
      }
    }
    expect(noisy, noisy.slice(0, 5).join("\n")).toEqual([]);
  });
});

/** Every object and list of a spec (not the root), by path. */
function containers(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (value !== null && typeof value === "object") {
    if (path.length > 0) out.push(path);
    for (const [k, child] of Object.entries(value)) containers(child, [...path, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}

describe.each(bases)("one structural mistake in the %s", (_name, base) => {
  it("(a list where an object belongs, an object for a list, null, a scalar) is reported once, at its path", () => {
    const noisy: string[] = [];
    const paths = containers(base());
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) {
      const original = path.reduce((o: any, k) => o[k], base());
      const wrongs = [null, "x", 7, Array.isArray(original) ? { item: original[0] } : [original]];
      for (const wrong of wrongs) {
        const raw = base();
        setAt(raw, path, wrong);
        // Reading the fields: a role renamed to "x" (a string is a role's short form) may rightly
        // break references to it, which the cross-checks report; the shape itself is one problem.
        const problems = fieldProblemsAfter(raw);
        const here = pathText(path);
        if (problems.length > 1 || problems.some((p) => p.path !== here)) {
          noisy.push(`${here} = ${JSON.stringify(wrong)}:\n    ${problems.map((p) => `${p.path}: ${p.message}`).join("\n    ")}`);
        }
      }
    }
    expect(noisy, noisy.slice(0, 5).join("\n")).toEqual([]);
  });
});

/** Every list of names, URLs or numbers in a spec, by path. */
function scalarLists(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(value) && value.length > 0 && typeof value[0] !== "object") out.push(path);
  if (value !== null && typeof value === "object")
    for (const [k, child] of Object.entries(value)) scalarLists(child, [...path, Array.isArray(value) ? Number(k) : k], out);
  return out;
}

describe.each(bases)("an entry listed twice in the %s", (_name, base) => {
  it("is refused at the second copy, whatever the list (roles, groups, URIs, origins, methods, ports...)", () => {
    const paths = scalarLists(base());
    expect(paths.length).toBeGreaterThanOrEqual(10);
    const accepted: string[] = [];
    for (const path of paths) {
      const raw = base();
      const list = path.reduce((o: any, k) => o[k], raw) as unknown[];
      list.push(list[0]);
      const at = pathText([...path, list.length - 1]);
      if (!problemsAfter(raw).some((p) => p.path === at && p.message.startsWith("duplicate"))) accepted.push(at);
    }
    expect(accepted).toEqual([]);
  });
});

describe("values that fail their own check", () => {
  it("do not yield a second problem about the placeholder", () => {
    const raw = rawSpec();
    raw.gateway = { ...(raw.gateway ?? {}), replicas: -1 };
    expect(problemsAfter(raw)).toEqual([{ path: "gateway.replicas", message: "expected an integer from 1 to 100, got -1" }]);
  });

  it("a top-level key nothing reads is reported with the other problems", () => {
    const raw = rawSpec();
    raw.networks = { allowSameNamespace: true };
    raw.services[0].port = "http";
    const problems = problemsAfter(raw).map((p) => p.path);
    expect(problems).toEqual(["networks", "services[0].port"]);
    expect(problemsAfter(raw)[0].message).toContain('did you mean "network"?');
  });

  it("a spec that is not an object is refused as such", () => {
    expect(problemsAfter([])).toEqual([{ path: "(access spec)", message: "expected an object, got []" }]);
  });
});
