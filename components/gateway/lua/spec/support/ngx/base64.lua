-- lua-resty-core's ngx.base64, in plain Lua over the stub's decode_base64.
local ngx = require("ngx_stub")

return {
  -- nil for input that is not unpadded base64url (padding, a stray character, a length of 4n+1).
  decode_base64url = function(text)
    if text:find("[^%w_-]") or #text % 4 == 1 then return nil, "invalid input" end
    local b64 = text:gsub("-", "+"):gsub("_", "/")
    return ngx.decode_base64(b64 .. ("="):rep((4 - #b64 % 4) % 4))
  end,
}
