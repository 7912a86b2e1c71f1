/**
 * Regenerates plugin/schema.json, the multi-language package's schema as
 * Pulumi derives it from plugin/index.ts. Run after changing GatewayAuth's
 * args or outputs; the component-provider test fails until you do.
 */
import { writeFileSync } from "node:fs";
import { generatePluginSchema, PLUGIN_SCHEMA_FILE } from "./lib/plugin-schema";

generatePluginSchema().then((schema) => {
  writeFileSync(PLUGIN_SCHEMA_FILE, schema);
  console.log(`wrote ${PLUGIN_SCHEMA_FILE}`);
});
