-- luajit scripts/bench-string-hash.lua  (from the repository root; `npm run bench:string-hash`)
--
-- What making (interning) one Lua string costs a worker when strings that
-- hash alike are still alive. OpenResty's LuaJIT hashes a string of 128
-- bytes or more from its length, its first and last 8 bytes and a few
-- sampled 8-byte windows (positions drawn per process), so Authorization
-- headers that differ only in their middle bytes all hash alike, and each
-- new one is compared with every one of them in its chain. Why the key
-- guard remembers a forged header by its SHA-1 (20 bytes, hashed in full,
-- not the attacker's to choose), never by the header itself.
package.path = "components/gateway/lua/spec/support/?.lua;scripts/lib/?.lua;" .. package.path
require("ngx_stub") -- ngx.encode_base64 for the sample token
local sample = require("sample_token")

local header = sample.header_for(sample.claims_with(3))
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
-- Variants made per timed pass: few, since each one made joins the chain
-- the next is compared with (the figure is for `alive` plus at most MADE).
local MADE = 100
local PASSES = 5

-- The header with three characters at `at` replaced by the n-th triple
-- (262,144 of them: no variant repeats within a run).
local function pieces(at)
  return header:sub(1, at - 1), header:sub(at + 3)
end
local function variant(n)
  local out = {}
  for digit = 0, 2 do
    local c = math.floor(n / 64 ^ digit) % 64 + 1
    out[#out + 1] = B64:sub(c, c)
  end
  return table.concat(out)
end

-- Microseconds to make one new variant while `alive` others are kept (as the
-- memory would keep them): the best of PASSES passes of MADE variants each.
local function per_string(at, alive)
  local before, after = pieces(at)
  local best = math.huge
  for pass = 1, PASSES do
    collectgarbage()
    collectgarbage()
    local kept = {}
    for n = 1, alive do kept[n] = before .. variant(n) .. after end
    local made = {}
    local first = alive + (pass - 1) * MADE
    local started = os.clock()
    for n = first + 1, first + MADE do made[#made + 1] = before .. variant(n) .. after end
    best = math.min(best, (os.clock() - started) / MADE * 1e6)
  end
  return best
end

-- table.isempty ships with OpenResty's branch only (the one nginx runs here).
local openresty = pcall(require, "table.isempty")
print(string.format("%s (%s), a %d-byte Authorization header", jit and jit.version or "?",
  openresty and "OpenResty's luajit2" or "NOT OpenResty's luajit2: its string hash differs", #header))
-- Which middle bytes go unsampled changes with each process: five places.
local cases = {}
for fifth = 1, 5 do cases[#cases + 1] = { "the middle", math.floor(#header * fifth / 6) } end
cases[#cases + 1] = { "the last bytes", #header - 2 }
for _, case in ipairs(cases) do
  local costs = {}
  for _, alive in ipairs({ 0, 1024, 3000 }) do costs[#costs + 1] = string.format("%.2f us with %d alive", per_string(case[2], alive), alive) end
  print(string.format("headers differing in %s (byte %d): %s", case[1], case[2], table.concat(costs, ", ")))
end
