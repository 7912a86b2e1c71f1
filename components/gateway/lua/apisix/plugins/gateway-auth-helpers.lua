--
-- gateway-auth-helpers: what the gateway's plugins share (a module, not a
-- plugin: config.yaml does not list it). Reading a bearer JWT without
-- verifying it, the audience check, the clock skew, and the Cookie filter.
--
local core = require("apisix.core")
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


-- A bearer JWT in compact JWS form: the scheme "Bearer" in any letter case,
-- spaces, three non-empty base64url parts and nothing else.
local function bearer_parts(authorization)
    if type(authorization) ~= "string" then
        return nil
    end
    local scheme, header, payload, signature = authorization:match("^(%a+) +([%w_-]+)%.([%w_-]+)%.([%w_-]+)$")
    if not scheme or scheme:lower() ~= "bearer" then
        return nil
    end
    return header, payload, signature
end


local function json_object(part)
    local decoded = part and from_base64url(part)
    local parsed = decoded and core.json.decode(decoded)
    -- An object: an array is a table too.
    return type(parsed) == "table" and parsed[1] == nil and parsed or nil
end


-- An Authorization header's bearer JWT, read WITHOUT verifying it: its three
-- segments and its decoded header and payload (objects), or nil.
local function parse_bearer(authorization)
    local header_part, payload_part, signature_part = bearer_parts(authorization)
    local header = json_object(header_part)
    local payload = header and json_object(payload_part)
    if not payload then
        return nil
    end
    return { header = header, payload = payload, signed = header_part .. "." .. payload_part, signature = signature_part }
end


-- One part of an Authorization header's bearer JWT (1: header, 2: payload)
-- as a table, read WITHOUT verifying it; nil when it is not one.
local function bearer_jwt_part(authorization, index)
    local header, payload = bearer_parts(authorization)
    return json_object(index == 1 and header or payload)
end


-- The token when it is one openid-connect may verify: well formed
-- (lua-resty-jwt answers 500 to some malformed tokens, and reads others
-- leniently), an alg, a string kid if any, and no `crit` (RFC 7515 4.1.11:
-- extensions a recipient does not understand make the token invalid; the
-- gateway understands none). Else nil and why.
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

local function verifiable_header(authorization)
    local token, problem = verifiable_token(authorization)
    return token and token.header, problem
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
_M.verifiable_header = verifiable_header
_M.names_audience = names_audience
_M.without_cookies = without_cookies

return _M
