-- luajit scripts/bench-lru-churn.lua  (from the repository root; `npm run bench:lru-churn`)
--
-- What an eviction costs a worker in the two LRUs lua-resty-lrucache ships,
-- under churn: a rotation over more distinct keys than the cache holds, so
-- every get misses and every set evicts (the key guard's memory of forged
-- headers under a rotating flood; a worker's verified tokens with more users
-- than it holds). The gateway's LRUs use resty.lrucache.pureffi.
package.path = "/usr/share/lua/5.1/?.lua;components/gateway/lua/spec/support/?.lua;" .. package.path
require("ngx_stub") -- ngx.now for the LRUs' ttl (the real modules, from lua-resty-lrucache)
local implementations = { "resty.lrucache", "resty.lrucache.pureffi" }

local KEYS = 20000
local keys = {}
for i = 1, KEYS do keys[i] = "Bearer eyJ" .. ("x"):rep(1200) .. i end

-- Microseconds per miss-and-set: the best of 3 passes over every key.
local function per_eviction(lrucache, size)
  local cache = lrucache.new(size)
  for i = 1, size do cache:set(keys[i], true) end
  local best = math.huge
  for _ = 1, 3 do
    local started = os.clock()
    for i = 1, KEYS do
      local key = keys[i]
      if not cache:get(key) then cache:set(key, true) end
    end
    best = math.min(best, (os.clock() - started) / KEYS * 1e6)
  end
  return best
end

print("luajit " .. (jit and jit.version or "?") .. ", lua-resty-lrucache from " .. package.searchpath("resty.lrucache", package.path))
for _, size in ipairs({ 1024, 2000, 10000 }) do
  local costs = {}
  for _, name in ipairs(implementations) do costs[#costs + 1] = string.format("%s %.2f us", name, per_eviction(require(name), size)) end
  print(string.format("size %d, %d keys rotating: %s per miss and set", size, KEYS, table.concat(costs, ", ")))
end
