import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { VENDORED_SCHEMAS } from "../../scripts/vendor-apisix-schemas";

/** APISIX 3.18.0's own JSON schemas, the subset the project uses (test/fixtures, written by `npm run schemas:vendor`). */
export const APISIX_SCHEMA_FILE = VENDORED_SCHEMAS;

// APISIX writes PCRE; JavaScript lacks \A and \z anchors.
function pcreToJs(pattern: string): string {
  return pattern.replace(/\\A/g, "^").replace(/\\z/g, "$").replace(/\\Z/g, "$");
}

let ajv: Ajv | undefined;
let schemas: any;

function load(): { ajv: Ajv; schemas: any } {
  if (!ajv) {
    schemas = JSON.parse(readFileSync(APISIX_SCHEMA_FILE, "utf8"));
    ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: (p: string, f: string) => new RegExp(pcreToJs(p), f) as any } as any });
    addFormats(ajv);
  }
  return { ajv, schemas };
}

const compiled = new Map<string, ValidateFunction>();

function validator(key: string, pick: (s: any) => object): ValidateFunction {
  if (!compiled.has(key)) {
    const { ajv: a, schemas: s } = load();
    compiled.set(key, a.compile(pick(s)));
  }
  return compiled.get(key)!;
}

function explain(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`).join("; ");
}

/** Problems with `value` against an APISIX resource schema (route, upstream, ssl, global_rule, ...); empty when valid. */
export function objectProblems(kind: string, value: unknown): string {
  const v = validator(`object:${kind}`, (s) => s.objects[kind]);
  return v(value) ? "" : explain(v);
}

/** Problems with a bundled plugin's configuration against that plugin's schema. */
export function pluginProblems(name: string, conf: unknown): string {
  const v = validator(`plugin:${name}`, (s) => {
    if (!s.plugins[name])
      throw new Error(`no vendored APISIX 3.18 schema for plugin ${name}: add it to scripts/vendor-apisix-schemas.ts and run npm run schemas:vendor`);
    return s.plugins[name].schema;
  });
  return v(structuredClone(conf)) ? "" : explain(v);
}

export function isBundledPlugin(name: string): boolean {
  return Boolean(load().schemas.plugins[name]);
}

/** Problems with config.yaml against `apisix init`'s schemas (config plus the data_plane deployment schema). */
export function configYamlProblems(config: any): string {
  const c = validator("config", (s) => s.objects["config_yaml:config_schema"]);
  const d = validator("deployment", (s) => s.objects["config_yaml:deployment_schema"].data_plane);
  return [c(config) ? "" : explain(c), d(config.deployment) ? "" : explain(d)].filter(Boolean).join("; ");
}
