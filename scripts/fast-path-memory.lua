-- luajit scripts/fast-path-memory.lua  (from the repository root; `npm run bench:fast-path-memory`)
--
-- What one fast-path entry costs a gateway worker, measured with LuaJIT's own
-- allocator count: gateway-key-guard's per-worker entry (the claims table and
-- the Authorization header it is keyed by) plus the identity view one route
-- rule makes of it, for a typical Keycloak token and for the largest token a
-- worker keeps (longer ones live only in the shared level, bounded in bytes);
-- then the key guard's memory of forged headers, full.
package.path = "components/gateway/lua/?.lua;components/gateway/lua/spec/support/?.lua;scripts/lib/?.lua;" .. package.path
require("ngx_stub")
local cjson = require("cjson.safe")

local sample = require("sample_token")
local claims_with, token_for = sample.claims_with, sample.header_for

local function kb(n) return string.format("%.1f KB", n) end

local MAX_WORKER_ENTRY = 4096 -- gateway-key-guard's: longer headers live only in the shared level
for _, roles in ipairs({ 2, 40, 125, 208, 240 }) do
  -- ENTRIES: fewer entries for a quicker run (the suite's check of the budget's worst-case entry); 2000 by default.
  local count = tonumber(os.getenv("ENTRIES")) or 2000
  collectgarbage("collect")
  local before = collectgarbage("count")
  local keep = {}
  for i = 1, count do
    local claims = claims_with(roles)
    claims.sub = claims.sub .. i
    local header = token_for(claims)
    -- The entry as the key guard keeps it, and one rule's view of it (roles, identity, headers).
    keep[header] = { claims = cjson.decode(cjson.encode(claims)), kid = sample.KID,
      views = { { allowed = true, user = { sub = claims.sub, roles = { "viewer" }, tenant = "acme" }, identity = { sub = claims.sub, client_id = "web", tenant = "acme", claims_from = "fast-path" },
        rate_key = "sub:" .. claims.sub, headers = { "X-User-ID", claims.sub, "X-User-Role", "viewer", "X-Tenant-ID", "acme" } } } }
  end
  collectgarbage("collect")
  local per = (collectgarbage("count") - before) / count
  local header_bytes = #token_for(claims_with(roles))
  local shared_bytes = header_bytes + #cjson.encode({ claims = claims_with(roles), kid = sample.KID })
  if header_bytes <= MAX_WORKER_ENTRY then
    print(string.format("token of %d bytes (%d realm roles): %s per worker entry with one rule's view (%d entries%s: %.1f MB per worker); %d bytes of key and value in the shared level",
      header_bytes, roles + 3, kb(per), count, count == 2000 and ", the default size" or "", per * count / 1024, shared_bytes))
  else
    print(string.format("token of %d bytes (%d realm roles): not kept by a worker (over %d bytes; it would take %s there); %d bytes of key and value in the shared level",
      header_bytes, roles + 3, MAX_WORKER_ENTRY, kb(per), shared_bytes))
  end
  keep = nil
end

-- The key guard's memory of forged headers, full: FORGED_MEMORY entries keyed
-- by a header's 20-byte SHA-1 (random bytes stand in for digests), each
-- holding the kid it was refused under, in the LRU the guard uses.
local lrucache = require("resty.lrucache.pureffi")
local FORGED_MEMORY = 1024
collectgarbage("collect")
local before = collectgarbage("count")
local forged = lrucache.new(FORGED_MEMORY)
for _ = 1, FORGED_MEMORY do
  local digest = {}
  for i = 1, 20 do digest[i] = string.char(math.random(0, 255)) end
  forged:set(table.concat(digest), sample.KID)
end
collectgarbage("collect")
print(string.format("forged-header memory, full (%d SHA-1 keys): %s per realm and worker", FORGED_MEMORY, kb(collectgarbage("count") - before)))
