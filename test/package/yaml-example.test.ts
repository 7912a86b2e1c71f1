/**
 * examples/yaml against the package schema Pulumi derives (plugin/schema.json):
 * every use of a gateway-auth component passes only declared properties, all
 * required ones, of the declared types; every output it reads exists; and the
 * spec it passes is one the component accepts. Running it needs the Pulumi CLI.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv from "ajv";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseAccessSpec } from "../../components/access-spec";
import { jsonSchemaOf, readPackageSchema, type PulumiProperty } from "../../scripts/lib/spec-declaration";

const ROOT = resolve(__dirname, "..", "..");
const schema = readPackageSchema();
const example = () => parse(readFileSync(join(ROOT, "examples", "yaml", "Pulumi.yaml"), "utf8"));

/** The full type token for a YAML type (`pkg:Name` is short for `pkg:index:Name`). */
const token = (type: string) => (type.split(":").length === 2 ? type.replace(":", ":index:") : type);

/** Problems of each package resource in a YAML program, by resource name. */
function validate(program: any): Record<string, string[]> {
  const ajv = new Ajv({ allErrors: true });
  const problems: Record<string, string[]> = {};
  for (const [name, resource] of Object.entries<any>(program.resources ?? {})) {
    const definition = schema.resources[token(resource.type)];
    if (!resource.type.startsWith(`${schema.name}:`)) continue;
    if (!definition) {
      problems[name] = [`unknown type ${resource.type}`];
      continue;
    }
    const check = ajv.compile({
      type: "object",
      properties: Object.fromEntries(Object.entries<PulumiProperty>(definition.inputProperties).map(([k, p]) => [k, jsonSchemaOf(schema, p)])),
      required: definition.requiredInputs ?? [],
      additionalProperties: false,
    });
    problems[name] = check(resource.properties ?? {}) ? [] : check.errors!.map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  }
  return problems;
}

/** `${resource.output}` references in the program's outputs, to package resources. */
function outputReferences(program: any): { resource: string; property: string }[] {
  return Object.values<string>(program.outputs ?? {}).flatMap((v) =>
    [...String(v).matchAll(/\$\{(\w+)\.(\w+)\}/g)].map((m) => ({ resource: m[1], property: m[2] })),
  );
}

describe("examples/yaml", () => {
  it("uses the package's component with declared, required, well-typed properties only", () => {
    const program = example();
    expect(token(program.resources.auth.type)).toBe("gateway-auth:index:GatewayAuth");
    expect(validate(program)).toEqual({ auth: [] });
  });

  it("reads only outputs the component declares", () => {
    const program = example();
    const declared = Object.keys(schema.resources["gateway-auth:index:GatewayAuth"].properties);
    const refs = outputReferences(program).filter((r) => r.resource === "auth");
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(declared, ref.property).toContain(ref.property);
  });

  it("passes a spec the component accepts: the TypeScript example's, so both examples build one stack", () => {
    const raw = example().resources.auth.properties.spec;
    expect(raw).toEqual(JSON.parse(readFileSync(join(ROOT, "examples", "typescript", "access-spec.json"), "utf8")));
    expect(parseAccessSpec(raw).services.map((s) => s.name)).toEqual(["catalog"]);
  });

  it("would be refused with a misspelled, missing or mistyped property (the check can fail)", () => {
    const program = example();
    const { spec } = program.resources.auth.properties;
    program.resources.auth.properties = { specs: spec, namePrefix: 7 };
    const problems = validate(program).auth.join("\n");
    expect(problems).toMatch(/must have required property 'spec'/);
    expect(problems).toMatch(/must NOT have additional properties.*specs/);
    expect(problems).toMatch(/\/namePrefix must be string/);
  });

  it("checks the spec field by field: the package schema types it (AccessSpecInput)", () => {
    const program = example();
    const { spec } = program.resources.auth.properties;
    spec.services[0].rotues = spec.services[0].routes;
    spec.services[0].port = "http";
    spec.environment = "production";
    const problems = validate(program).auth.join("\n");
    expect(problems).toMatch(/\/spec\/services\/0 must NOT have additional properties.*rotues/);
    expect(problems).toMatch(/\/spec\/services\/0\/port must be number/);
    expect(problems).toMatch(/\/spec\/environment must be equal to one of the allowed values/);
  });
});
