-- luajit scripts/bench-token-parse.lua  (from the repository root; `npm run bench:token-parse`)
--
-- What reading a bearer header's shape costs a worker, per request that is
-- not answered from the fast path (every forged token in a flood): the
-- defining Lua pattern with captures against gateway-auth-helpers' one-pass
-- reader (bearer_token_bounds, which LuaJIT compiles), on Keycloak-shaped
-- headers. Both run in this luajit, as the worker's Lua does; base64 and
-- JSON decoding are nginx's and cjson's and are not measured here.
package.path = "components/gateway/lua/?.lua;components/gateway/lua/spec/support/?.lua;scripts/lib/?.lua;" .. package.path
require("ngx_stub")
local helpers = require("apisix.plugins.gateway-auth-helpers")
local sample = require("sample_token")

local PATTERN = "^(%a+) +([%w_-]+)%.([%w_-]+)%.([%w_-]+)$"
local function by_pattern(header) return header:match(PATTERN) end
local bounds = helpers.bearer_token_bounds

-- Microseconds per call: the best of 5 runs of `n` calls.
local function per_call(fn, header, n)
  local best = math.huge
  for _ = 1, 5 do
    local started = os.clock()
    for _ = 1, n do
      if not fn(header) then error("not read as a bearer JWT: " .. header:sub(1, 40)) end
    end
    best = math.min(best, (os.clock() - started) / n * 1e6)
  end
  return best
end

print("luajit " .. (jit and jit.version or "?"))
for _, roles in ipairs({ 2, 40, 240 }) do
  local header = sample.header_for(sample.claims_with(roles))
  local n = math.floor(20e6 / #header)
  local pattern, one_pass = per_call(by_pattern, header, n), per_call(bounds, header, n)
  print(string.format("header of %d bytes: Lua pattern %.2f us, one-pass reader %.2f us (%.1f times less)", #header, pattern, one_pass, pattern / one_pass))
end
