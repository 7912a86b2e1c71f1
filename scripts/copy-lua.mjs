// The gateway's Lua plugins are read at render time from beside the compiled
// renderer (components/gateway/plugin.ts reads `<dir>/lua/apisix/plugins`), so
// the build copies them next to dist/components/gateway.
import { cpSync } from "node:fs";
cpSync("components/gateway/lua/apisix", "dist/components/gateway/lua/apisix", { recursive: true });
