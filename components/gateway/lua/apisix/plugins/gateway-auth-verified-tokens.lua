--
-- gateway-auth-verified-tokens: the fast path's memory (a module, not a
-- plugin). The exact Authorization header of a token openid-connect verified
-- and gateway-identity accepted maps to its claims: per worker (an LRU,
-- bounded in entries) and per pod (the gateway_verified_tokens dict, bounded
-- in bytes). gateway-key-guard looks tokens up (and checks their key first);
-- gateway-identity remembers them.
-- docs: docs/request-pipeline.md ("The verified-token fast path").
--
local core = require("apisix.core")
-- The FFI implementation: resty.lrucache's Lua tables cost a worker O(size)
-- per eviction under churn (LuaJIT rehashes a full table of distinct keys),
-- pureffi about 0.1 us at any size (npm run bench:lru-churn). Keys are the
-- Authorization headers (strings).
local lrucache = require("resty.lrucache.pureffi")
local ngx = ngx
local type = type
local min = math.min

local _M = {}


-- The fast path's entries (this worker): Authorization header -> { claims, kid, userinfo (when forwarded) }.
local verified = nil
-- Its level shared by the workers, bounded in bytes (nginx evicts the least recently used).
local SHARED_DICT = "gateway_verified_tokens"
-- Tokens longer than this stay out of a worker's memory (a 10.9 KB token with
-- 240 roles took 26 KB there); the shared level, bounded in bytes, keeps them.
local MAX_WORKER_ENTRY = 4096

local function worker_level(conf)
    local settings = conf.verified_tokens
    if not settings or settings.size == 0 then
        return nil
    end
    if not verified then
        verified = lrucache.new(settings.size)
    end
    return verified
end

local function shared_level(conf)
    return conf.verified_tokens and conf.verified_tokens.shared and ngx.shared[SHARED_DICT] or nil
end


-- The shared level's text of an entry: the JSON array [entry, tag], where
-- tag is the token's last TAG_LENGTH characters (its signature's). Reading the
-- text makes a Lua string of it, and LuaJIT (OpenResty's branch, the one
-- APISIX runs) hashes a string of 128 bytes or more from its length, its
-- first and last 8 bytes and 16 sampled 8-byte windows only. Entries of one
-- realm differ in a few bytes of their claims (a sub: Keycloak's are UUIDs,
-- all one length), so without the tag many of them collide, and making each
-- one walks a chain of all the others not yet collected. (Measured with
-- luajit2 2.1-20230119: 10,000 strings of 316 bytes that differ only outside
-- the sampled bytes took 75 us each to make, against 0.1 us.) With the tag,
-- the last 8 bytes differ.
local TAG_LENGTH = 10

local function encode_shared(entry, authorization)
    return "[" .. core.json.encode(entry) .. ',"' .. authorization:sub(-TAG_LENGTH) .. '"]'
end

local function decode_shared(text)
    local decoded = core.json.decode(text)
    local entry = type(decoded) == "table" and decoded[1]
    if type(entry) ~= "table" or type(entry.claims) ~= "table" then
        return nil
    end
    return entry
end


-- Which tokens the shared level answers enter this worker's level: all of
-- them while it has room; once it is full, a token on its second shared-level
-- hit within the last `size` such hits (a doorkeeper, keyed by the token's
-- last characters: a false match only admits a token early). A rotation over
-- more users than a worker holds then reads the shared level without evicting
-- the worker's own users (each eviction is garbage to collect), while a user
-- this worker keeps seeing still moves in. Measured with (h)'s 10,000 users
-- (docs/benchmarks.md): the tag above and this took (h)'s gateway CPU per
-- request from 1.26 to 1.15 times its one-user control's (j), sequentially.
-- (Paired later, reading the shared level is about 4 % of (h)'s cost; the rest
-- of (h) over (j) is serving many users at all: "Many users" there.)
local DOOR_TAG_LENGTH = 16
local doorkeeper, door_count = {}, 0

local function admitted(cache, size, authorization)
    if cache:count() < size then
        return true
    end
    local tag = authorization:sub(-DOOR_TAG_LENGTH)
    if doorkeeper[tag] then
        doorkeeper[tag] = nil
        return true
    end
    if door_count >= size then
        doorkeeper, door_count = {}, 0
    end
    doorkeeper[tag] = true
    door_count = door_count + 1
    return false
end


-- A remembered token: this worker's entry, else the shared level's (then kept
-- in this worker too, for what is left of its life there, when `admitted`).
-- Nil when the fast path is off or the token is not remembered.
function _M.lookup(conf, authorization)
    local cache = worker_level(conf)
    if not cache then
        return nil
    end
    local seen = cache:get(authorization)
    if seen then
        return seen
    end
    local shared = shared_level(conf)
    local text = shared and shared:get(authorization)
    if type(text) ~= "string" then
        return nil
    end
    seen = decode_shared(text)
    if not seen then
        return nil
    end
    -- The entry says when it ends (a shared:ttl call would cost another dict lookup).
    local left = type(seen.expires) == "number" and seen.expires - ngx.time() or 0
    if left <= 0 then
        return nil
    end
    if #authorization <= MAX_WORKER_ENTRY and admitted(cache, conf.verified_tokens.size, authorization) then
        cache:set(authorization, seen, left)
    end
    return seen
end


-- Marks this request's token as one gateway-identity may remember once
-- openid-connect verified it (the key guard calls this before openid-connect
-- runs, with the header it read and the token's kid).
function _M.propose(ctx, conf, authorization, kid)
    if worker_level(conf) then
        ctx.gateway_auth_candidate = { authorization = authorization, kid = kid, ttl = conf.verified_tokens.ttl, shared = shared_level(conf) }
    end
end


-- Called by gateway-identity when it accepted the claims openid-connect has
-- just verified for this request's token: later requests with the same
-- Authorization header take the fast path until the token's exp, or the ttl.
-- `authorization` is the header as gateway-identity read it; an entry is made
-- only when it is the one this plugin read before openid-connect ran.
function _M.remember(ctx, authorization, claims, userinfo)
    local candidate = ctx.gateway_auth_candidate
    if not candidate or not verified or type(authorization) ~= "string"
        or authorization ~= candidate.authorization or type(claims.exp) ~= "number" then
        return
    end
    local ttl = min(candidate.ttl, claims.exp - ngx.time())
    if ttl <= 0 then
        return
    end
    local entry = { claims = claims, userinfo = userinfo, kid = candidate.kid }
    if #authorization <= MAX_WORKER_ENTRY then
        verified:set(authorization, entry, ttl)
    end
    if candidate.shared then
        -- Full, nginx evicts the least recently used entries: a miss costs one verification, never a wrong answer.
        entry.expires = ngx.time() + ttl
        candidate.shared:set(authorization, encode_shared(entry, authorization), ttl)
    end
end


return _M
