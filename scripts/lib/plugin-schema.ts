import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import * as plugin from "../../plugin";

export const PLUGIN_DIR = resolve(__dirname, "..", "..", "plugin");
export const PLUGIN_SCHEMA_FILE = join(PLUGIN_DIR, "schema.json");

/**
 * The component provider exactly as Pulumi's plugin host builds it for this
 * package (see @pulumi/pulumi cmd/run-plugin): the components plugin/index.ts
 * exports, named after plugin/package.json.
 */
export function pluginProvider(): ComponentProvider {
  const { name } = JSON.parse(readFileSync(join(PLUGIN_DIR, "package.json"), "utf8")) as { name: string };
  return new ComponentProvider({ components: Object.values(plugin), dirname: PLUGIN_DIR, name });
}

/** The package schema Pulumi derives from the TypeScript source, pretty-printed as it is checked in. */
export async function generatePluginSchema(): Promise<string> {
  return `${JSON.stringify(JSON.parse(await pluginProvider().getSchema()), null, 2)}\n`;
}
