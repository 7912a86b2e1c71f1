-- Stand-in for resty.limit.count on the native test runtime only.
--
-- APISIX 3.18's limit-count (limit-count-local.lua) calls
-- `incoming(key, commit, cost)` and reads back the number of requests
-- CONSUMED in the window (the API of the lua-resty-limit-traffic APISIX
-- pins). The shared native-apisix kit ships OpenResty's 0.09, whose
-- incoming(key, commit) returns the number REMAINING and ignores cost: on the
-- kit, APISIX then reports inverted X-RateLimit-Remaining values and lets a
-- caller through after its 429 (measured: 200 x6, 429, 200 for a limit of 5).
-- This module gives limit-count the contract it was written for, on a shared
-- dict, and nothing else. The official image runs the real library; the
-- redis policies never use this module. Nothing of this file is deployed.
local ngx_shared = ngx.shared
local setmetatable = setmetatable
local assert = assert

local _M = { _VERSION = "native-test-shim" }
local mt = { __index = _M }

function _M.new(dict_name, limit, window)
    local dict = ngx_shared[dict_name]
    if not dict then
        return nil, "shared dict not found"
    end
    assert(limit > 0 and window > 0)
    return setmetatable({ dict = dict, limit = limit, window = window }, mt)
end

-- Returns 0 and the count consumed in the current window, or nil and "rejected".
function _M.incoming(self, key, commit, cost)
    cost = cost or 1
    local consumed, err
    if commit then
        -- The window starts with the first request and lasts `window` seconds (init_ttl).
        consumed, err = self.dict:incr(key, cost, 0, self.window)
        if not consumed then
            return nil, err
        end
    else
        consumed = (self.dict:get(key) or 0) + cost
    end
    if consumed > self.limit then
        return nil, "rejected"
    end
    return 0, consumed
end

return _M
