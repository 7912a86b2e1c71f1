-- A request as APISIX hands it to plugins: ctx.headers (lower-cased names) is
-- the request's header list, which ngx.req.set_header (the stub) changes; ctx.var
-- serves $http_* from it and caches what it served until a plugin forgets it,
-- as APISIX's ctx.var does. The request becomes ngx.ctx.api_ctx, the current one.
local request = {}

function request.new(headers)
  local h = {}
  for k, v in pairs(headers or {}) do h[k:lower()] = v end
  local cache = {}
  local ctx = { headers = h }
  ctx.var = setmetatable({}, {
    __index = function(_, key)
      if cache[key] == nil then
        local name = key:match("^http_(.+)$")
        cache[key] = name and h[(name:gsub("_", "-"))] or nil
      end
      return cache[key]
    end,
    __newindex = function(_, key, value) cache[key] = value end,
  })
  ngx.ctx.api_ctx = ctx
  return ctx
end

return request
