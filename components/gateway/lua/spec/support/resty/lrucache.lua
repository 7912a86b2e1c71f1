-- A stand-in for OpenResty's resty.lrucache with what gateway-key-guard uses:
-- new(size), get (nil once an item's ttl has passed), set(key, value, ttl),
-- count(), least recently used out first. Time is ngx.now(), so tests move the clock.
local _M = {}
local mt = { __index = _M }

function _M.new(size)
  return setmetatable({ size = size, items = {}, order = {} }, mt)
end

local function touch(self, key)
  for i, k in ipairs(self.order) do
    if k == key then table.remove(self.order, i) break end
  end
  table.insert(self.order, key)
end

function _M:get(key)
  local item = self.items[key]
  if not item then return nil end
  if item.expires and item.expires <= ngx.now() then
    self.items[key] = nil
    return nil
  end
  touch(self, key)
  return item.value
end

function _M:count()
  return #self.order
end

function _M:set(key, value, ttl)
  self.items[key] = { value = value, expires = ttl and ngx.now() + ttl or nil }
  touch(self, key)
  while #self.order > self.size do
    self.items[table.remove(self.order, 1)] = nil
  end
end

return _M
