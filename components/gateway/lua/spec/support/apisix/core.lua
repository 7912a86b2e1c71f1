-- A stand-in for apisix.core with just what gateway-identity uses. Request
-- headers live in ctx.headers (lower-cased names), as APISIX caches them.
local cjson = require("cjson.safe")

local core = { log = {}, request = {}, json = {}, schema = {}, ctx = {}, response = {} }

-- APISIX's ends the request (ngx.exit) and never returns; here it returns
-- what a plugin answered, so a test reads it from the phase's return values.
core.response.exited = {}
function core.response.exit(status, body)
  core.response.exited[#core.response.exited + 1] = status
  return status, body
end

-- Variables plugins register (APISIX resolves ctx.var[name] through them); tests read them here.
core.registered_vars = {}
function core.ctx.register_var(name, getter)
  core.registered_vars[name] = getter
end

-- Every level's lines, in order, and by level (core.logged_at.info, ...).
core.logged = {}
core.logged_at = {}
for _, level in ipairs({ "error", "warn", "info" }) do
  core.logged_at[level] = {}
  core.log[level] = function(...)
    local line = table.concat({ ... })
    core.logged[#core.logged + 1] = line
    table.insert(core.logged_at[level], line)
  end
end

function core.request.header(ctx, name)
  return ctx.headers[name:lower()]
end

function core.request.set_header(ctx, name, value)
  ctx.headers[name:lower()] = value
end

-- APISIX's core.json.null is cjson's.
core.json.null = cjson.null

function core.json.decode(text)
  return cjson.decode(text)
end

function core.json.encode(value)
  return cjson.encode(value)
end

-- Enough of JSON-schema checking for the plugin's own schema: required keys,
-- types, no unknown keys, and defaults filled in (APISIX's checker does the same).
local function check(schema, value, path)
  local t = schema.type
  if t == "object" then
    if type(value) ~= "table" then return false, path .. ": expected object" end
    for _, key in ipairs(schema.required or {}) do
      if value[key] == nil then return false, path .. "." .. key .. ": required" end
    end
    for key, v in pairs(value) do
      local sub = schema.properties and schema.properties[key]
      if not sub then
        if schema.additionalProperties == false then return false, path .. "." .. key .. ": unknown" end
      else
        local ok, err = check(sub, v, path .. "." .. key)
        if not ok then return false, err end
      end
    end
    for key, sub in pairs(schema.properties or {}) do
      if value[key] == nil and sub.default ~= nil then value[key] = sub.default end
    end
  elseif t == "array" then
    if type(value) ~= "table" then return false, path .. ": expected array" end
    if schema.minItems and #value < schema.minItems then return false, path .. ": fewer than " .. schema.minItems .. " items" end
    for i, v in ipairs(value) do
      local ok, err = check(schema.items, v, path .. "[" .. i .. "]")
      if not ok then return false, err end
    end
  elseif t == "string" then
    if type(value) ~= "string" then return false, path .. ": expected string" end
    if schema.minLength and #value < schema.minLength then return false, path .. ": too short" end
    if schema.pattern and not ngx.re_find(value, schema.pattern) then return false, path .. ": bad pattern" end
  elseif t == "boolean" then
    if type(value) ~= "boolean" then return false, path .. ": expected boolean" end
  end
  return true
end

function core.schema.check(schema, conf)
  return check(schema, conf, "conf")
end

return core
