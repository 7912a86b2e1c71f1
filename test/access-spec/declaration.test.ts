/**
 * The access spec is declared once (components/access-spec/input.ts); what
 * derives from it must agree with it: the package schema (checked elsewhere
 * to be what Pulumi derives), the parser's field names at every level, and the
 * generated field reference in docs/configuration.md.
 */
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../components/access-spec";
import { trustWidenings } from "../../components/access-spec/widenings";
import { readSpecFields } from "../../components/access-spec/parse";
import { rawSpec } from "../fixtures/raw-spec";
import { SpecReader, SpecValidationError, type Raw, type RawObject } from "../../components/access-spec/reader";
import { CONFIGURATION_DOC, withFieldReference } from "../../scripts/lib/config-reference";
import { declaredFields, jsonSchemaOf, readPackageSchema, SPEC_TYPE } from "../../scripts/lib/spec-declaration";
import { loadRawStackSpec } from "../../scripts/lib/stack-config";

const schema = readPackageSchema();
const fields = declaredFields(schema);
const specSchema = jsonSchemaOf(schema, { $ref: `#/types/${schema.name}:index:${SPEC_TYPE}` });

/** A reader that notes which keys the parser knows at each object it reads (list items as `[]`). */
class KeyRecordingReader extends SpecReader {
  readonly known = new Map<string, string[]>();
  override object(path: string, value: Raw, known: readonly string[], keysUnder = path): RawObject | undefined {
    this.known.set(keysUnder.replace(/\[\d+\]/g, "[]"), [...known]);
    return super.object(path, value, known, keysUnder);
  }
}

/** A spec with every declared field present (values need not be valid: only the keys matter here). */
function everyField(): any {
  const root: any = {};
  for (const f of fields) {
    const parts = f.path.split(".");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const name = part.replace("[]", "");
      if (part.endsWith("[]")) node = node[name][0];
      else node = node[name];
    }
    const last = parts[parts.length - 1];
    node[last] = f.keys
      ? f.type.startsWith("list of")
        ? [{}]
        : {}
      : f.type.startsWith("list of")
        ? [sample(f.type.slice("list of ".length))]
        : sample(f.type);
  }
  return root;
}

function sample(type: string): unknown {
  if (type.startsWith("`")) return type.split("`")[1];
  if (type === "integer" || type === "number") return 1;
  if (type === "boolean") return false;
  if (type.startsWith("map of")) return { app: "x" };
  return "x";
}

describe("the access spec's declaration", () => {
  it("describes every field (the generated reference has no empty row), and says what an optional one defaults to", () => {
    expect(fields.filter((f) => f.description.trim() === "").map((f) => f.path)).toEqual([]);
    expect(fields.filter((f) => !f.required && !/Default|Required/.test(f.description)).map((f) => f.path)).toEqual([]);
  });

  it("names, at every level, exactly the fields the parser reads", () => {
    const r = new KeyRecordingReader();
    try {
      readSpecFields(r, everyField());
    } catch (e) {
      if (!(e instanceof SpecValidationError)) throw e;
    }
    const declared = new Map<string, string[]>([["", fields.filter((f) => !f.path.includes(".")).map((f) => f.path)]]);
    for (const f of fields) if (f.keys) declared.set(f.type.startsWith("list of") ? `${f.path}[]` : f.path, f.keys);
    const parserKeys = Object.fromEntries([...r.known].map(([path, keys]) => [path, [...keys].sort()]));
    const declaredKeys = Object.fromEntries([...declared].map(([path, keys]) => [path, [...keys].sort()]));
    expect(parserKeys).toEqual(declaredKeys);
  });

  it("admits the example stacks, as written, and refuses a key it does not declare", () => {
    const check = new Ajv({ allErrors: true }).compile(specSchema);
    for (const stack of ["dev", "prod"]) {
      const raw = JSON.parse(JSON.stringify(loadRawStackSpec(process.cwd(), stack)));
      // YAML's shorthand for a role (its bare name) is the object form in the typed input.
      raw.realm.roles = raw.realm.roles.map((role: unknown) => (typeof role === "string" ? { name: role } : role));
      expect(check(raw) ? [] : check.errors, stack).toEqual([]);
      raw.gateway.replicaCount = 3;
      expect(check(raw)).toBe(false);
    }
  });

  it("is what docs/configuration.md's field reference says (npm run docs:config)", () => {
    const doc = readFileSync(CONFIGURATION_DOC, "utf8");
    expect(withFieldReference(doc)).toBe(doc);
  });
});

/**
 * The defaults and bounds the declaration states in words ("Default: 300",
 * "(1-3600)") are the ones the parser applies: each field is left out of a
 * valid spec (its default must come back), and set to each bound (accepted)
 * and one past it (refused at its path).
 */
describe("the declared defaults and bounds", () => {
  type Path = (string | number)[];
  const toPath = (declared: string): Path => declared.split(".").flatMap((part) => (part.endsWith("[]") ? [part.slice(0, -2), 0] : [part]));
  /** The object holding the field; optional sections the fixture leaves out are added empty (list items are not invented). */
  const parentOf = (root: any, path: Path) =>
    path.slice(0, -1).reduce((o, k, i) => {
      if (o !== undefined && o[k] === undefined && typeof k === "string" && typeof path[i + 1] === "string") o[k] = {};
      return o === undefined ? undefined : o[k];
    }, root);
  /** The fixture in dev: bounds are the field's own, not prod's stricter minimum (`gateway.replicas`). */
  const devFixture = () => ({ ...rawSpec(), environment: "dev" });
  const readFields = (raw: any) => {
    const r = new SpecReader();
    return { spec: readSpecFields(r, raw), problems: r.problems };
  };
  const valueAt = (root: any, path: Path) => path.reduce((o, k) => (o === undefined ? undefined : o[k]), root);
  /** Fields the fixture (a valid prod spec) has a parent for, with what the declaration says. */
  const inFixture = (pattern: RegExp) =>
    fields.flatMap((f) => {
      const m = pattern.exec(f.description);
      const path = toPath(f.path);
      return m && parentOf(rawSpec(), path) !== undefined ? [{ ...f, path, match: m }] : [];
    });

  const literal = (text: string): unknown => {
    if (/^\d+$/.test(text)) return Number(text);
    if (text === "true" || text === "false") return text === "true";
    if (text === "none") return "none";
    if (text === "empty") return "";
    return text.replace(/^`|`$/g, "");
  };

  const defaults = inFixture(/Default: (\d+|true|false|none|empty|`[^`<>:]*`)(?=[.;( ])/);
  const bounded = inFixture(/\((\d[\d,]*)-(\d[\d,]*)[;)]/);

  it("are found in the declaration (the checks below have something to check)", () => {
    expect(defaults.length).toBeGreaterThan(25);
    expect(bounded.length).toBeGreaterThan(8);
  });

  it("defaults: a field left out comes back as declared", () => {
    const wrong: string[] = [];
    for (const f of defaults) {
      const raw = rawSpec();
      const parent = parentOf(raw, f.path);
      delete parent[f.path[f.path.length - 1]];
      const { spec, problems } = readFields(raw);
      if (problems.length > 0) wrong.push(`${f.path.join(".")}: left out, refused: ${problems.map((p) => p.message).join("; ")}`);
      const parsed = valueAt(spec, f.path);
      const declared = literal(f.match[1]);
      // "Default: `mtls.enabled`" names another field: its own default is checked there.
      if (typeof declared === "string" && /^[a-z]+(\.[a-zA-Z]+)+$/.test(declared)) continue;
      const same =
        declared === "none"
          ? parsed === undefined || (Array.isArray(parsed) && parsed.length === 0)
          : typeof parsed === "number" && typeof declared === "string"
            ? parseDuration(declared) === parsed
            : parsed === declared;
      if (!same) wrong.push(`${f.path.join(".")}: declared ${f.match[1]}, parser gives ${JSON.stringify(parsed)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("bounds: each bound is accepted, one past it refused at the field's path", () => {
    const wrong: string[] = [];
    for (const f of bounded) {
      const [min, max] = [f.match[1], f.match[2]].map((n) => Number(n.replace(/,/g, "")));
      const field = f.path
        .map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`))
        .join("")
        .slice(1)
        .replace(/\.\[/g, "[");
      for (const [value, accepted] of [
        [min, true],
        [max, true],
        [min - 1, false],
        [max + 1, false],
      ] as const) {
        const raw = devFixture();
        // A store's settings are a Redis store's: under a local one they are refused whatever their value.
        if (field.startsWith("gateway.rateLimits.store."))
          raw.gateway = { rateLimits: { store: { type: "redis", address: "redis:6379", namespace: "cache" } } };
        const list = f.type.startsWith("list of");
        parentOf(raw, f.path)[f.path[f.path.length - 1]] = list ? [value] : value;
        const at = list ? `${field}[0]` : field;
        const refused = readFields(raw).problems.some((p) => p.path === at);
        if (refused === accepted) wrong.push(`${field} = ${value}: ${refused ? "refused" : "accepted"}, declared ${min}-${max}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("the declared environment rules", () => {
  it('say "refused in prod" of every setting prod refuses as widening trust', () => {
    const raw = { ...rawSpec(), environment: "dev" };
    raw.gateway = {
      trustedProxies: ["0.0.0.0/0"],
      rateLimits: { store: { type: "redis", address: "redis:6379", namespace: "cache", whenUnavailable: "allow" } },
    };
    raw.network = { allowSameNamespace: true };
    raw.services[0] = { ...raw.services[0], forwardBearerToken: true, allowMethodOverride: true };
    const r = new SpecReader();
    const widened = [...new Set(trustWidenings(readSpecFields(r, raw)).map((w) => w.path.replace(/\[\d+\]/g, "[]")))];
    expect(r.problems).toEqual([]);
    expect(widened.length).toBe(5);
    const undocumented = widened.filter((path) => !fields.find((f) => f.path === path.replace(/\[\]$/, ""))?.description.includes("refused in prod"));
    expect(undocumented).toEqual([]);
  });
});
