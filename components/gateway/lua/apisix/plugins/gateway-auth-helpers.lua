--
-- gateway-auth-helpers: what the gateway's plugins share (a module, not a
-- plugin: config.yaml does not list it). Reading a bearer JWT without
-- verifying it, the audience check, the clock skew, and the Cookie filter.
--
local core = require("apisix.core")
local ffi = require("ffi")
local type = type
local ipairs = ipairs
local concat = table.concat

local _M = {}

-- Seconds a clock may be ahead of the realm's: a token from a little later is fine.
_M.CLOCK_SKEW = 60


-- base64url (JWT segments) to bytes, nil when it is not base64url.
local decode_base64url = require("ngx.base64").decode_base64url
local function from_base64url(text)
    return (decode_base64url(text))
end


-- Each byte's class in a compact JWS: base64url ([A-Za-z0-9_-]), the dot, or
-- anything else (0).
local BASE64URL, DOT = 1, 2
local TOKEN_BYTE = ffi.new("uint8_t[256]")
for _, range in ipairs({ { 48, 57 }, { 65, 90 }, { 97, 122 }, { 45, 45 }, { 95, 95 } }) do
    for b = range[1], range[2] do
        TOKEN_BYTE[b] = BASE64URL
    end
end
TOKEN_BYTE[46] = DOT
local SPACE = 32
local byte, sub, find, lower = string.byte, string.sub, string.find, string.lower


-- Where an Authorization header's bearer JWT in compact JWS form lies: the
-- scheme "Bearer" in any letter case, spaces, then three non-empty base64url
-- parts and nothing else. Returns the token's first byte and its two dots
-- (positions in the header), or nil. One pass over the bytes that LuaJIT
-- compiles: under a forged-token flood this runs on every refusal, and the
-- Lua pattern that says the same (spec/gateway_auth_helpers_spec.lua holds
-- it to that) costs about 3.5 times as much (npm run bench:token-parse).
local function bearer_token_bounds(authorization)
    if type(authorization) ~= "string" then
        return nil
    end
    local space = find(authorization, " ", 1, true)
    if not space or lower(sub(authorization, 1, space - 1)) ~= "bearer" then
        return nil
    end
    local first = space + 1
    while byte(authorization, first) == SPACE do
        first = first + 1
    end
    local last = #authorization
    -- The header's bytes, from 0: its i-th byte is bytes[i - 1].
    local bytes = ffi.cast("const uint8_t *", authorization)
    local dot1, dot2
    for i = first, last do
        local class = TOKEN_BYTE[bytes[i - 1]]
        if class ~= BASE64URL then
            if class ~= DOT or dot2 then
                return nil
            end
            if dot1 then
                dot2 = i
            else
                dot1 = i
            end
        end
    end
    if not dot2 or dot1 == first or dot2 == dot1 + 1 or dot2 == last then
        return nil
    end
    return first, dot1, dot2
end


local function json_object(part)
    local decoded = part and from_base64url(part)
    local parsed = decoded and core.json.decode(decoded)
    -- An object: an array is a table too.
    return type(parsed) == "table" and parsed[1] == nil and parsed or nil
end


-- An Authorization header's bearer JWT, read WITHOUT verifying it: its
-- decoded header (an object), and where its parts lie in the header, or nil.
-- Its other parts are cut out only when asked for (token_signed,
-- token_signature, token_payload): a forgery is refused on its header (an
-- unknown kid) or its signature, and under a flood each kilobyte a refusal
-- copies is garbage the worker collects.
local function parse_bearer(authorization)
    local first, dot1, dot2 = bearer_token_bounds(authorization)
    local header = first and json_object(sub(authorization, first, dot1 - 1))
    if not header then
        return nil
    end
    return { header = header, authorization = authorization, first = first, dot1 = dot1, dot2 = dot2 }
end


-- What a parsed token's signature covers (header.payload), and its signature part.
local function token_signed(token)
    return sub(token.authorization, token.first, token.dot2 - 1)
end

local function token_signature(token)
    return sub(token.authorization, token.dot2 + 1)
end


-- A parsed token's payload, decoded on first use: an object, or nil when
-- the payload is not one (the token is then not a JWT openid-connect may see).
local function token_payload(token)
    local payload = token.payload
    if payload == nil then
        payload = json_object(sub(token.authorization, token.dot1 + 1, token.dot2 - 1)) or false
        token.payload = payload
    end
    return payload or nil
end


-- One part of an Authorization header's bearer JWT (1: header, 2: payload)
-- as a table, read WITHOUT verifying it; nil when it is not one.
local function bearer_jwt_part(authorization, index)
    local first, dot1, dot2 = bearer_token_bounds(authorization)
    if not first then
        return nil
    end
    if index == 1 then
        return json_object(sub(authorization, first, dot1 - 1))
    end
    return json_object(sub(authorization, dot1 + 1, dot2 - 1))
end


-- The token when it is one openid-connect may be shown, as far as its
-- header says: well formed (lua-resty-jwt answers 500 to some malformed
-- tokens, and reads others leniently), an alg, a string kid if any, and no
-- `crit` (RFC 7515 4.1.11: extensions a recipient does not understand make
-- the token invalid; the gateway understands none). Else nil and why. Its
-- payload must still prove an object (token_payload) before it goes on.
local function verifiable_token(authorization)
    local token = parse_bearer(authorization)
    local header = token and token.header
    if not header or type(header.alg) ~= "string" then
        return nil, "not a bearer JWT"
    end
    if header.crit ~= nil then
        return nil, "a crit header names extensions the gateway does not understand"
    end
    if header.kid ~= nil and type(header.kid) ~= "string" then
        return nil, "kid is not a string"
    end
    return token
end


local function contains(list, value)
    for _, item in ipairs(list) do
        if item == value then
            return true
        end
    end
    return false
end


-- aud is one string or a list of them.
local function names_audience(aud, audience)
    return aud == audience or (type(aud) == "table" and contains(aud, audience))
end


-- A Cookie header without the named cookies and their chunks (name_2, name_3, ...).
local function without_cookies(header, names)
    local kept = {}
    for pair in header:gmatch("[^;]+") do
        local trimmed = pair:match("^%s*(.-)%s*$")
        local key = trimmed:match("^([^=]*)=") or trimmed
        key = key:match("^%s*(.-)%s*$")
        local drop = false
        for _, name in ipairs(names) do
            if key == name or (key:sub(1, #name + 1) == name .. "_" and key:sub(#name + 2):match("^%d+$")) then
                drop = true
                break
            end
        end
        if not drop and trimmed ~= "" then
            kept[#kept + 1] = trimmed
        end
    end
    return #kept > 0 and concat(kept, "; ") or nil
end


-- A phase's answer: nothing lets the request go on; a refusal is answered
-- here, through core.response.exit, never as a returned status: APISIX
-- writes a warning line for every plugin that returns one (">= 400: exits
-- with http status code"), so a flood of refused requests would be a flood
-- of error-log writes. The decision log has a line for each refusal.
function _M.answer(status, body)
    if status then
        return core.response.exit(status, body)
    end
end


_M.contains = contains
_M.from_base64url = from_base64url
_M.bearer_jwt_part = bearer_jwt_part
_M.verifiable_token = verifiable_token
_M.token_payload = token_payload
_M.token_signed = token_signed
_M.token_signature = token_signature
_M.bearer_token_bounds = bearer_token_bounds
_M.names_audience = names_audience
_M.without_cookies = without_cookies

return _M
