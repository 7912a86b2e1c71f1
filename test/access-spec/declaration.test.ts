/**
 * The access spec is declared once (components/access-spec/input.ts); what
 * derives from it must agree with it: the package schema (checked elsewhere
 * to be what Pulumi derives), the parser's field names at every level, and the
 * generated field reference in docs/configuration.md.
 */
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { readSpecFields } from "../../components/access-spec/parse";
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
  it("describes every field (the generated reference has no empty row)", () => {
    expect(fields.filter((f) => f.description.trim() === "").map((f) => f.path)).toEqual([]);
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
