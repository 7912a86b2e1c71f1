--
-- gateway-key-guard: bounds the JWKS fetches that tokens under unknown keys
-- cause. lua-resty-openidc refetches the realm's JWKS, bypassing its cache,
-- for every token whose kid it does not hold (and for a kid-less token when
-- the JWKS has several keys), and caches no miss: a stream of tokens with
-- random kids is a stream of calls to Keycloak.
--
-- Runs just before openid-connect (priority 2600 > 2599) on bearer routes and
-- reads only the token's header (nothing is trusted from it: openid-connect
-- still verifies everything). A token passes on when its key is known (the
-- PEM or the JWKS document openid-connect caches names it), or when it is the
-- first unknown-key token of the interval (that refetch is how a new key is
-- learnt after a rotation); others under unknown keys get 401 invalid_token
-- without a fetch. While nothing is cached (a cold gateway, or the JWKS just
-- expired), one request goes on to fetch and the others wait for it (up to a
-- few seconds, then 401): a burst never turns into a burst of fetches.
--
-- It also answers for tokens this worker has seen verified (the fast path).
-- openid-connect's per-request work costs the chain most of its throughput,
-- even when its verification cache answers (no signature is checked then
-- either). So once openid-connect has verified a token and gateway-identity
-- has accepted its claims, the exact Authorization header maps to those
-- claims here; a request carrying it again sets $gateway_token_verified,
-- which openid-connect's `_meta.filter` reads to stand aside, and
-- gateway-identity takes the claims from ctx, never from a header. What the
-- fast path keeps: the key check above runs first (a token whose key is no
-- longer known takes the full path; a verdict of "known" is reused for at
-- most a second), an entry dies at the token's exp (no
-- slack; openid-connect allows 120 s) and after `verified_tokens.ttl`
-- seconds at most, and only verified tokens are ever entered, so callers
-- cannot fill it. Per worker, bounded (`verified_tokens.size`, LRU).
--
local core = require("apisix.core")
local lrucache = require("resty.lrucache")
local ngx = ngx
local type = type
local ipairs = ipairs
local min = math.min

local plugin_name = "gateway-key-guard"
-- Declared in config.yaml (nginx_config.http.custom_lua_shared_dict).
local DICT = "gateway_auth"
-- How long a worker trusts the jwks_uri it read from the cached discovery document.
local JWKS_URI_TTL = 300

local schema = {
    type = "object",
    properties = {
        -- The discovery URL openid-connect uses on the same route: its cached document names the jwks_uri.
        discovery = { type = "string", minLength = 1 },
        refetch_interval = { type = "integer", minimum = 1, maximum = 3600 },
        realm = { type = "string", minLength = 1 },
        -- The fast path: size 0 turns it off.
        verified_tokens = {
            type = "object",
            properties = {
                ttl = { type = "integer", minimum = 1, maximum = 86400 },
                size = { type = "integer", minimum = 0, maximum = 1000000 },
            },
            required = { "ttl", "size" },
            additionalProperties = false,
        },
    },
    required = { "discovery", "refetch_interval", "realm" },
    additionalProperties = false,
}

local _M = {
    version = 0.1,
    priority = 2600,
    name = plugin_name,
    schema = schema,
}


function _M.check_schema(conf)
    return core.schema.check(schema, conf)
end


local jwks_uri_of = {}

-- openid-connect's jwks_uri for a discovery URL, from the document it caches.
local function jwks_uri(conf)
    local known = jwks_uri_of[conf.discovery]
    if known and known.expires > ngx.time() then
        return known.uri
    end
    local doc = ngx.shared.discovery and ngx.shared.discovery:get(conf.discovery)
    local parsed = type(doc) == "string" and core.json.decode(doc)
    local uri = type(parsed) == "table" and type(parsed.jwks_uri) == "string" and parsed.jwks_uri or nil
    if uri then
        jwks_uri_of[conf.discovery] = { uri = uri, expires = ngx.time() + JWKS_URI_TTL }
    end
    return uri
end


-- base64url (JWT segments) to the bytes ngx decodes; gateway-identity uses it too.
local function from_base64url(text)
    local b64 = text:gsub("-", "+"):gsub("_", "/")
    local pad = #b64 % 4
    if pad == 2 then b64 = b64 .. "==" elseif pad == 3 then b64 = b64 .. "=" elseif pad == 1 then return nil end
    return ngx.decode_base64(b64)
end


-- One part of an Authorization header's bearer JWT (1: header, 2: payload)
-- as a table, read WITHOUT verifying it; nil when it is not one.
local function bearer_jwt_part(authorization, index)
    if type(authorization) ~= "string" then
        return nil
    end
    local header, payload = authorization:match("^[Bb]earer%s+([%w_-]+)%.([%w_-]+)%.[%w_-]*$")
    local part = index == 1 and header or payload
    local decoded = part and from_base64url(part)
    local parsed = decoded and core.json.decode(decoded)
    return type(parsed) == "table" and parsed or nil
end


-- Whether the request carries a JWT bearer token, and its kid (nil when it names none).
local function token_kid(authorization)
    local header = bearer_jwt_part(authorization, 1)
    if not header then
        return false -- not a JWT: openid-connect refuses it without a fetch
    end
    return true, type(header.kid) == "string" and header.kid or nil
end


-- gateway-identity records here each kid a token verified under (bearer routes).
local VERIFIED_KID = "verified-kid:"
local VERIFIED_KID_TTL = 86400

-- What openid-connect would do for this kid: "known" (no fetch), "unknown"
-- (a forced refetch), or "uncached" (it may fetch).
local function key_state(conf, kid, limits)
    local uri = jwks_uri(conf)
    local jwks = ngx.shared.jwks
    if uri and jwks:get(uri .. "#" .. (kid or "")) then
        return "known" -- the PEM openid-connect derived for it
    end
    local doc = uri and jwks:get(uri)
    if not doc then
        -- Nothing cached. A kid tokens were verified under passes at once: its
        -- tokens are mostly in openid-connect's verification cache, which never
        -- fetches, so waiting for a fetch would stall them. Only consulted here:
        -- while the JWKS is cached, the document alone decides.
        if limits:get(VERIFIED_KID .. (kid or "")) then
            return "known"
        end
        return "uncached"
    end
    local parsed = core.json.decode(doc)
    local keys = type(parsed) == "table" and type(parsed.keys) == "table" and parsed.keys or {}
    if kid == nil then
        return #keys == 1 and "known" or "unknown", uri
    end
    for _, key in ipairs(keys) do
        if key.kid == kid then
            return "known"
        end
    end
    return "unknown", uri
end


local WAIT_STEP = 0.02
-- One fetcher at a time while nothing is cached; a stuck fetch hands over after this.
local FETCH_LOCK = 1
local WAIT_LIMIT = 3


local function refuse(conf, why)
    core.log.warn(plugin_name, ": ", why)
    ngx.header["WWW-Authenticate"] = 'Bearer realm="' .. conf.realm .. '", error="invalid_token"'
    return 401, { error = "invalid_token" }
end


-- The fast path's entries (this worker): Authorization header -> { claims, kid, userinfo (when forwarded) }.
local verified = nil

local function verified_tokens(conf)
    local settings = conf.verified_tokens
    if not settings or settings.size == 0 then
        return nil
    end
    if not verified then
        verified = lrucache.new(settings.size)
    end
    return verified
end


-- The fast path asks key_state at most once a second per key (this worker):
-- its shared-dict reads cost about 4% of the gateway's throughput. A key
-- that leaves the cached JWKS is noticed at most that much later.
local KNOWN_MEMO = 1
local NO_KID = {}
local known_until = {}

local function known_lately(conf, kid, limits)
    local memo = known_until[conf.discovery]
    if not memo then
        memo = {}
        known_until[conf.discovery] = memo
    end
    local now = ngx.now()
    if (memo[kid or NO_KID] or 0) > now then
        return true
    end
    if key_state(conf, kid, limits) ~= "known" then
        return false
    end
    memo[kid or NO_KID] = now + KNOWN_MEMO
    return true
end


-- openid-connect's `_meta.filter` on bearer routes: it stands aside only when this is "yes".
core.ctx.register_var("gateway_token_verified", function(ctx)
    return ctx.gateway_verified_token and "yes" or nil
end)


function _M.rewrite(conf, ctx)
    -- $http_authorization, not core.request.header: on the native runtime that
    -- copies every request header into a new table on each call. (nginx
    -- refuses a request with two Authorization headers, so there is one value.)
    local authorization = ctx.var.http_authorization
    local limits = ngx.shared[DICT]
    -- Fail closed without the dict: unbounded fetching is what this plugin prevents.
    if not limits then
        return refuse(conf, "shared dict " .. DICT .. " missing")
    end
    local cache = verified_tokens(conf)
    local seen = cache and type(authorization) == "string" and cache:get(authorization)
    if seen and known_lately(conf, seen.kid, limits) then
        ctx.gateway_verified_token = seen
        return
    end

    local is_jwt, kid = token_kid(authorization)
    if not is_jwt then
        return
    end
    -- For gateway-identity, which records the kid once the token is verified
    -- and enters the token here (remember_verified) when the cache is on.
    ctx.gateway_auth_kid = kid or ""
    if cache then
        ctx.gateway_auth_candidate = { authorization = authorization, kid = kid, ttl = conf.verified_tokens.ttl }
    end
    local waited = 0
    while true do
        local state, uri = key_state(conf, kid, limits)
        if state == "known" then
            return
        end
        if state == "unknown" then
            if limits:add("refetch:" .. uri, true, conf.refetch_interval) then
                return
            end
            return refuse(conf, "token under an unknown key refused without a JWKS fetch (one per " .. conf.refetch_interval .. " s)")
        end
        if limits:add("fetch:" .. conf.discovery, true, FETCH_LOCK) then
            return -- this request fetches; the others wait for what it caches
        end
        if waited >= WAIT_LIMIT then
            return refuse(conf, "the realm's keys could not be fetched in time")
        end
        ngx.sleep(WAIT_STEP)
        waited = waited + WAIT_STEP
    end
end


_M.from_base64url = from_base64url
_M.bearer_jwt_part = bearer_jwt_part


-- Kids this worker recorded lately: the shared record is refreshed once a minute
-- per worker, not on every request (a shared-dict write takes its lock).
local recorded_until = {}
local RECORD_REFRESH = 60

-- Called by gateway-identity after openid-connect verified a token under `kid`.
function _M.record_verified(kid)
    local limits = ngx.shared[DICT]
    if not limits or not kid or (recorded_until[kid] or 0) > ngx.time() then
        return
    end
    limits:set(VERIFIED_KID .. kid, true, VERIFIED_KID_TTL)
    recorded_until[kid] = ngx.time() + RECORD_REFRESH
end


-- Called by gateway-identity when it accepted the claims openid-connect has
-- just verified for this request's token: later requests with the same
-- Authorization header take the fast path until the token's exp, or the ttl.
-- `authorization` is the header as gateway-identity read it; an entry is made
-- only when it is the one this plugin read before openid-connect ran.
function _M.remember_verified(ctx, authorization, claims, userinfo)
    local candidate = ctx.gateway_auth_candidate
    if not candidate or not verified or type(authorization) ~= "string"
        or authorization ~= candidate.authorization or type(claims.exp) ~= "number" then
        return
    end
    local ttl = min(candidate.ttl, claims.exp - ngx.time())
    if ttl <= 0 then
        return
    end
    verified:set(authorization, { claims = claims, userinfo = userinfo, kid = candidate.kid }, ttl)
end


return _M
