-- luacheck for the gateway's plugins (npm run lint): OpenResty's globals,
-- lines as long as the TypeScript's, `_`-prefixed arguments deliberately unused.
std = "ngx_lua"
max_line_length = 160
ignore = { "212/_.*" }
-- Specs hold tables of cases one per line.
files["spec/"] = { std = "+busted", globals = { "ngx" }, max_line_length = false }
