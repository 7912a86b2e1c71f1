-- Stand-in for lua-resty-redis-connector on the native test runtime only.
--
-- The shared native-apisix kit does not ship lua-resty-redis-connector, and
-- APISIX 3.18's limit-count requires it when it loads (for its redis-sentinel
-- policy), so without a module of that name limit-count does not load at all.
-- This project uses the local, redis and redis-cluster policies, which never
-- call it; a sentinel configuration fails loudly here instead. The official
-- image ships the real library, and nothing of this file is deployed.
local _M = {}

function _M.new()
    return nil, "redis-sentinel is not available on the native test runtime (no lua-resty-redis-connector)"
end

return _M
