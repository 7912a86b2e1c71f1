-- The plugins' functions create no closures, outside the ones named below.
-- A function holding a closure closes its upvalues on every return (bytecode
-- UCLO), and LuaJIT cannot compile UCLO or FNEW (the closure's creation):
-- a trace that meets either aborts ("NYI: bytecode 50"). On a per-request
-- path that costs more than the function itself: APISIX's plugin runner
-- records its traces through the plugins it calls, and a start point whose
-- traces keep aborting is blacklisted for the worker's life (seen with
-- jit.v: "blacklisted at plugin.lua:1370" in the runner's loop). So a
-- callback a per-request function needs lives at module level and gets its
-- data as arguments (ngx.timer.at passes them; gsub's callback needs none).
local jutil = require("jit.util")
local bcnames = require("jit.vmdef").bcnames
local bit = require("bit")

local PLUGINS = "apisix/plugins/"

-- Closure factories by design: each runs once per request that has a form or
-- multipart body, to make that body's scanner (which itself holds no closure).
local FACTORIES = {
  ["gateway-request-guard.lua:urlencoded_scanner"] = true,
  ["gateway-request-guard.lua:multipart_scanner"] = true,
}

local function opcode_name(ins)
  local op = bit.band(ins, 0xff)
  return (bcnames:sub(op * 6 + 1, op * 6 + 6):gsub("%s+$", ""))
end

-- Every function prototype below `proto` (its children, theirs, ...).
local function each_child(proto, found)
  found = found or {}
  for i = -1, -1e6, -1 do
    local k = jutil.funck(proto, i)
    if k == nil then
      break
    end
    if type(k) == "proto" then
      found[#found + 1] = k
      each_child(k, found)
    end
  end
  return found
end

-- The opcodes a prototype's bytecode holds, as a set of names.
local function opcodes(proto)
  local seen, info = {}, jutil.funcinfo(proto)
  for pc = 1, info.bytecodes - 1 do
    seen[opcode_name(jutil.funcbc(proto, pc))] = true
  end
  return seen
end

-- The name a `local function name(` or `function M.name(` line gives.
local function name_at(lines, line)
  local text = lines[line] or ""
  return text:match("function%s+[%w_%.:]-([%w_]+)%s*%(") or ("line " .. line)
end

local function lines_of(path)
  local lines = {}
  for text in io.lines(path) do
    lines[#lines + 1] = text
  end
  return lines
end

local function plugin_files()
  local files = {}
  for name in io.popen("ls " .. PLUGINS):lines() do
    if name:match("%.lua$") then
      files[#files + 1] = name
    end
  end
  return files
end

-- "file:function" for every function that creates a closure or closes upvalues.
local function closure_holders(file)
  local main = assert(loadfile(PLUGINS .. file))
  local lines, holders = lines_of(PLUGINS .. file), {}
  for _, proto in ipairs(each_child(main)) do
    local ops = opcodes(proto)
    if ops.FNEW or ops.UCLO then
      holders[#holders + 1] = file .. ":" .. name_at(lines, jutil.funcinfo(proto).linedefined)
    end
  end
  return holders
end

describe("the plugins' Lua, as LuaJIT compiles it", function()
  it("reads the bytecode it checks (a closure here is found)", function()
    local proto = assert(loadstring("local function f(x) if x then return x end return function() return x end end"))
    local found = {}
    for _, child in ipairs(each_child(proto)) do
      local ops = opcodes(child)
      if ops.FNEW or ops.UCLO then
        found[#found + 1] = jutil.funcinfo(child).linedefined
      end
    end
    assert.same({ 1 }, found)
  end)

  it("creates no closure in a plugin's functions, outside the named factories", function()
    local files = plugin_files()
    assert.is_true(#files >= 6, "found " .. #files .. " plugin files under " .. PLUGINS)
    local unexpected, factories = {}, {}
    for _, file in ipairs(files) do
      for _, holder in ipairs(closure_holders(file)) do
        if FACTORIES[holder] then
          factories[holder] = true
        else
          unexpected[#unexpected + 1] = holder
        end
      end
    end
    assert.same({}, unexpected)
    -- A factory that no longer makes closures leaves the list.
    for holder in pairs(FACTORIES) do
      assert.is_true(factories[holder] == true, holder .. " is listed as a closure factory but holds none")
    end
  end)
end)
