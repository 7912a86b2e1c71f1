/**
 * The access spec's declaration as Pulumi derives it from
 * `components/access-spec/input.ts` into plugin/schema.json: a JSON Schema of
 * it (for checking a spec written in another language's program), its fields
 * listed by path (for the generated configuration reference).
 */
import { readFileSync } from "node:fs";
import { PLUGIN_SCHEMA_FILE } from "./plugin-schema";

export interface PulumiProperty {
  type?: string;
  $ref?: string;
  items?: PulumiProperty;
  additionalProperties?: PulumiProperty;
  optional?: boolean;
  description?: string;
}

interface PulumiType {
  type: string;
  properties?: Record<string, PulumiProperty>;
  required?: string[];
  enum?: { name: string; value: string | number }[];
  description?: string;
}

export interface PackageSchema {
  name: string;
  types: Record<string, PulumiType>;
  resources: Record<string, { inputProperties: Record<string, PulumiProperty>; requiredInputs?: string[]; properties: Record<string, PulumiProperty> }>;
}

export const readPackageSchema = (): PackageSchema => JSON.parse(readFileSync(PLUGIN_SCHEMA_FILE, "utf8"));

/** The access spec's root type token. */
export const SPEC_TYPE = "AccessSpecInput";

const typeOf = (schema: PackageSchema, ref: string): PulumiType => {
  const token = ref.replace(/^#\/types\//, "");
  const t = schema.types[token];
  if (!t) throw new Error(`package schema: no type ${token}`);
  return t;
};

/** A package-schema property as JSON Schema: objects closed (unknown keys refused), enums as values. */
export function jsonSchemaOf(schema: PackageSchema, p: PulumiProperty): object {
  if (p.$ref === "pulumi.json#/Any") return {};
  if (p.$ref) {
    const t = typeOf(schema, p.$ref);
    if (t.enum) return { enum: t.enum.map((e) => e.value) };
    return {
      type: "object",
      properties: Object.fromEntries(Object.entries(t.properties ?? {}).map(([k, v]) => [k, jsonSchemaOf(schema, v)])),
      required: t.required ?? [],
      additionalProperties: false,
    };
  }
  if (p.type === "array") return { type: "array", items: jsonSchemaOf(schema, p.items ?? {}) };
  if (p.type === "object") return { type: "object", additionalProperties: p.additionalProperties ? jsonSchemaOf(schema, p.additionalProperties) : true };
  return { type: p.type === "integer" ? "integer" : p.type };
}

export interface DeclaredField {
  /** `services[].routes[].rules[].methods`. */
  path: string;
  /** `string`, `integer`, `list of string`, `dev | staging | prod`, `map of string`, `object`, `list of object`. */
  type: string;
  required: boolean;
  description: string;
  /** The property names when the field is an object (or a list of objects). */
  keys?: string[];
}

function shape(schema: PackageSchema, p: PulumiProperty): { type: string; object?: PulumiType } {
  if (p.$ref) {
    const t = typeOf(schema, p.$ref);
    if (t.enum) return { type: t.enum.map((e) => `\`${e.value}\``).join(" \\| ") };
    return { type: "object", object: t };
  }
  if (p.type === "array") {
    const item = shape(schema, p.items ?? {});
    return { type: `list of ${item.type}`, object: item.object };
  }
  if (p.type === "object") return { type: `map of ${p.additionalProperties?.type ?? "any"}` };
  return { type: p.type ?? "any" };
}

/** Every field of the access spec, depth first, in declaration order. */
export function declaredFields(schema: PackageSchema = readPackageSchema()): DeclaredField[] {
  const out: DeclaredField[] = [];
  const walk = (t: PulumiType, prefix: string) => {
    for (const [name, p] of Object.entries(t.properties ?? {})) {
      const { type, object } = shape(schema, p);
      const path = prefix ? `${prefix}.${name}` : name;
      const keys = object ? Object.keys(object.properties ?? {}) : undefined;
      out.push({ path, type, required: (t.required ?? []).includes(name), description: (p.description ?? "").replace(/\s*\n\s*/g, " "), keys });
      if (object) walk(object, type.startsWith("list of") ? `${path}[]` : path);
    }
  };
  walk(typeOf(schema, `#/types/${schema.name}:index:${SPEC_TYPE}`), "");
  return out;
}

/** The root's keys (the spec's top-level sections). */
export const declaredTopLevelKeys = (schema: PackageSchema = readPackageSchema()): string[] =>
  Object.keys(typeOf(schema, `#/types/${schema.name}:index:${SPEC_TYPE}`).properties ?? {});
