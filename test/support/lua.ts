import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";

const LUA_DIR = join(PROJECT_ROOT, "components", "gateway", "lua");

/** A project plugin's own schema, read from the Lua module itself (luajit + lua-cjson, installed by .ci/run). */
export function projectPluginSchema(name: string): object {
  const script = [
    'package.path = "./?.lua;./spec/support/?.lua;" .. package.path',
    'require("ngx_stub")',
    `io.write(require("cjson").encode(require("apisix.plugins.${name}").schema))`,
  ].join("; ");
  const res = spawnSync("luajit", ["-e", script], { cwd: LUA_DIR, encoding: "utf8" });
  if (res.error || res.status !== 0) {
    throw new Error(`luajit could not load the plugin (install luajit and lua-cjson; .ci/run does): ${res.error?.message ?? res.stderr}`);
  }
  return JSON.parse(res.stdout);
}
