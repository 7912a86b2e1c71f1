/**
 * npm run schemas:vendor [-- <schemas-3.18.0.json>]
 *
 * Copies into the project the part of APISIX 3.18.0's own JSON schemas that
 * the conformance tests use (resource schemas, config.yaml's schemas, and the
 * bundled plugins this project renders), so a clone without ../shared checks
 * its rendered files against APISIX. Source: the schemas read out of
 * apache/apisix's Lua modules at tag 3.18.0 (Apache-2.0), as shipped in
 * ../shared/apisix/. Rerun when the project starts using another plugin.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./lib/run-stack";

export const VENDORED_SCHEMAS = join(PROJECT_ROOT, "test", "fixtures", "apisix-schemas-3.18.0.json");
const OBJECTS = ["route", "upstream", "ssl", "global_rule", "config_yaml:config_schema", "config_yaml:deployment_schema"];
const PLUGINS = ["cors", "limit-count", "mocking", "openid-connect", "prometheus", "proxy-rewrite", "response-rewrite"];

function main(): void {
  const from = process.argv[2] ?? join(PROJECT_ROOT, "..", "shared", "apisix", "schemas-3.18.0.json");
  const all = JSON.parse(readFileSync(from, "utf8"));
  const pick = (source: Record<string, unknown>, keys: string[]) =>
    Object.fromEntries(
      keys.map((k) => {
        if (!(k in source)) throw new Error(`${from} has no ${k}`);
        return [k, source[k]];
      }),
    );
  const vendored = {
    source:
      "Apache APISIX 3.18.0 (tag 3.18.0, Apache-2.0): JSON schemas declared in apisix/schema_def.lua, apisix/cli/schema.lua and each plugin's module; the subset this project's conformance tests use",
    objects: pick(all.objects, OBJECTS),
    plugins: pick(all.plugins, PLUGINS),
  };
  writeFileSync(VENDORED_SCHEMAS, `${JSON.stringify(vendored, null, 1)}\n`);
  console.log(`wrote ${VENDORED_SCHEMAS}: ${OBJECTS.length} resource/config schemas, ${PLUGINS.length} plugins`);
}

if (require.main === module) main();
