-- The parts of the ngx API the plugin uses, in plain Lua, installed as a global.
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function encode_base64(data)
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end

-- Returns nil for input that is not base64, like ngx.decode_base64.
local function decode_base64(data)
  if data:find("[^%w%+/=]") or #data % 4 ~= 0 then return nil end
  data = data:gsub("=", "")
  return (data:gsub(".", function(x)
    local r, f = "", (b64chars:find(x, 1, true) - 1)
    for i = 6, 1, -1 do r = r .. (f % 2 ^ i - f % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end):gsub("%d%d%d?%d?%d?%d?%d?%d?", function(x)
    if #x ~= 8 then return "" end
    local c = 0
    for i = 1, 8 do c = c + (x:sub(i, i) == "1" and 2 ^ (8 - i) or 0) end
    return string.char(c)
  end))
end

-- A stand-in for ngx.sha1_bin: 20 bytes, each of five 32-bit words a hash of
-- every input byte (exact in doubles: h < 2^32, times a small prime). Not
-- SHA-1: the plugin only needs a digest of the header to key its memory by.
local function sha1_bin(data)
  local words = {}
  for w, prime in ipairs({ 31, 37, 41, 43, 47 }) do
    local h = w
    for i = 1, #data do h = (h * prime + data:byte(i)) % 4294967296 end
    words[w] = string.char(h % 256, math.floor(h / 256) % 256, math.floor(h / 65536) % 256, math.floor(h / 16777216))
  end
  return table.concat(words)
end

_G.ngx = {
  encode_base64 = encode_base64,
  sha1_bin = sha1_bin,
  decode_base64 = decode_base64,
  -- The plugin's patterns use only syntax that Lua patterns and PCRE read alike.
  re_find = function(s, pattern) return s:find(pattern) end,
  time = os.time,
  now = os.time,
  -- Response headers the plugin sets (WWW-Authenticate).
  header = {},
  -- The current request (spec/support/request.lua makes one).
  ctx = {},
  req = {
    get_method = function() return _G.ngx_test_method or "GET" end,
    set_header = function(name, value) _G.ngx.ctx.api_ctx.headers[name:lower()] = value end,
  },
  -- A test may hook sleeping (another request's fetch landing meanwhile).
  sleep = function(seconds) if _G.ngx_test_on_sleep then _G.ngx_test_on_sleep(seconds) end end,
}
return _G.ngx
