--
-- gateway-key-guard: the realm's keys, and which tokens may reach
-- openid-connect (bearer routes, just before it: priority 2600 > 2599).
--   * Refuses (401) a request without Authorization, and one whose header
--     is not a well-formed bearer JWT with an alg, or carries `crit`; a
--     token under a known key whose RS256 signature fails, or which verifies
--     but whose claims openid-connect would refuse (issuer, exp, nbf). So
--     openid-connect refuses nothing on a bearer route, and no refusal
--     writes to the error log (a flood must not become one).
--   * Owns the realm's JWKS: fetches it (one fetcher per gateway, the others
--     wait), refreshes it in a timer before it expires, and stores it where
--     openid-connect reads it, so openid-connect never fetches on its own.
--   * A token under a kid the cached JWKS does not hold: the first of each
--     refetch_interval refetches (how a new key is learnt), the others get
--     401 without a fetch. A retired key is refused once the refreshed JWKS
--     lacks it: within jwks_ttl, fast path included.
--   * A header refused for its signature is remembered with the key set it
--     was judged by: its replays are refused without another verification.
--   * The fast path: a token remembered (gateway-auth-verified-tokens) whose
--     key is still published answers at once; openid-connect is then skipped
--     for the request (APISIX's plugin.skip_plugin).
-- docs: docs/request-pipeline.md ("How a request is decided", step 3).
--
local core = require("apisix.core")
local helpers = require("apisix.plugins.gateway-auth-helpers")
local verified_tokens = require("apisix.plugins.gateway-auth-verified-tokens")
-- skip_plugin: how the fast path makes openid-connect stand aside (below).
local apisix_plugin = require("apisix.plugin")
-- The FFI LRU, as gateway-auth-verified-tokens' (cheap evictions under churn).
local lrucache = require("resty.lrucache.pureffi")
local from_base64url = helpers.from_base64url
local verifiable_token = helpers.verifiable_token
local token_payload = helpers.token_payload
local token_signed = helpers.token_signed
local token_signature = helpers.token_signature
local ngx = ngx
local type = type
local ipairs = ipairs

local plugin_name = "gateway-key-guard"
-- Declared in config.yaml (nginx_config.http.custom_lua_shared_dict).
local DICT = "gateway_auth"
-- How long a worker trusts the jwks_uri it read from the discovery document.
local JWKS_URI_TTL = 300
-- A fetch of the realm's discovery document or keys gives up after this.
local FETCH_TIMEOUT_MS = 3000

local schema = {
    type = "object",
    properties = {
        -- The discovery URL openid-connect uses on the same route: its cached document names the jwks_uri.
        discovery = { type = "string", minLength = 1 },
        refetch_interval = { type = "integer", minimum = 1, maximum = 3600 },
        -- openid-connect's jwk_expires_in: the cached JWKS is never older than this.
        jwks_ttl = { type = "integer", minimum = 1, maximum = 86400 },
        realm = { type = "string", minLength = 1 },
        -- The realm's issuer (openid-connect's valid_issuers): a token whose signature verifies but names another is refused here.
        issuer = { type = "string", minLength = 1 },
        -- While the realm cannot be reached, its last fetched JWKS stays in use this long past its own expiry (0: fail closed at once).
        keys_stale_if_unreachable = { type = "integer", minimum = 0, maximum = 86400, default = 0 },
        -- The fast path: size 0 turns it off.
        verified_tokens = {
            type = "object",
            properties = {
                ttl = { type = "integer", minimum = 1, maximum = 86400 },
                size = { type = "integer", minimum = 0, maximum = 1000000 },
                -- The level shared by the workers (the gateway_verified_tokens dict, bounded in bytes).
                shared = { type = "boolean", default = false },
            },
            required = { "ttl", "size" },
            additionalProperties = false,
        },
    },
    required = { "discovery", "refetch_interval", "jwks_ttl", "realm" },
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


-- Fetches go through here (a test stands in for resty.http).
local function http_get(uri)
    local httpc = require("resty.http").new()
    httpc:set_timeout(FETCH_TIMEOUT_MS)
    local res, err = httpc:request_uri(uri, { ssl_verify = true, keepalive = true })
    if not res then
        return nil, err
    end
    if res.status ~= 200 then
        return nil, "status " .. res.status
    end
    return res.body
end
_M.http_get = http_get


local jwks_uri_of = {}

-- The realm's jwks_uri: from openid-connect's cached discovery document or,
-- when `may_fetch` (the one fetcher of a cold gateway), fetched and cached
-- where openid-connect reads it. Kept JWKS_URI_TTL per worker.
local DISCOVERY_TTL = 86400

local function jwks_uri(conf, may_fetch)
    local known = jwks_uri_of[conf.discovery]
    if known and known.expires > ngx.time() then
        return known.uri
    end
    local doc = ngx.shared.discovery and ngx.shared.discovery:get(conf.discovery)
    local fetched = false
    if type(doc) ~= "string" and may_fetch then
        doc, fetched = _M.http_get(conf.discovery), true
    end
    local parsed = type(doc) == "string" and core.json.decode(doc)
    local uri = type(parsed) == "table" and type(parsed.jwks_uri) == "string" and parsed.jwks_uri or nil
    if uri then
        jwks_uri_of[conf.discovery] = { uri = uri, expires = ngx.time() + JWKS_URI_TTL }
        if fetched and ngx.shared.discovery then
            ngx.shared.discovery:set(conf.discovery, core.json.encode(parsed), DISCOVERY_TTL)
        end
    end
    return uri
end


-- The keys of each realm's JWKS document (its JSON text), by kid, decoded
-- once per document; per discovery URL (a realm), for this worker.
local keys_of = {}

local function kids_of(conf, doc)
    local known = keys_of[conf.discovery]
    if not known or known.doc ~= doc then
        local parsed = core.json.decode(doc)
        local keys = type(parsed) == "table" and type(parsed.keys) == "table" and parsed.keys or {}
        local kids = {}
        for _, key in ipairs(keys) do
            if type(key) == "table" and type(key.kid) == "string" then
                kids[key.kid] = key
            end
        end
        known = { doc = doc, kids = kids, count = #keys, only = keys[1] }
        keys_of[conf.discovery] = known
    end
    return known.kids, known.count
end


-- The outage policy. Every JWKS fetched is also kept as the last known one,
-- for jwks_ttl + keys_stale_if_unreachable seconds. When a fetch fails (the
-- realm down, a timeout, an error status, not a JWKS), that document is put
-- back where openid-connect reads it, so verified and never-seen tokens keep
-- their answer while the realm is away, at most keys_stale_if_unreachable
-- seconds past the moment the keys should have been refreshed; then the
-- gateway fails closed (401). A key retires only through a fetch that
-- succeeded, which replaces the last known document at once: an outage
-- never revives a retired key.
local function last_known_key(uri)
    return "lastgood:" .. uri
end

local function keep_last_known(conf, uri)
    local dict = ngx.shared[DICT]
    local doc = dict and dict:get(last_known_key(uri))
    local left = type(doc) == "string" and dict:ttl(last_known_key(uri))
    if not left or left <= 0 then
        return false
    end
    left = math.ceil(left)
    ngx.shared.jwks:set(uri, doc, math.min(conf.jwks_ttl, left))
    core.log.warn(plugin_name, ": the realm's keys cannot be fetched: its last known keys stay in use for at most ", left, " s more")
    return true
end


-- Fetches the realm's JWKS and stores it where openid-connect reads it
-- (lua-resty-openidc's "jwks" cache: the JSON text, for jwks_ttl seconds),
-- so openid-connect never fetches on its own: the key guard decides when.
-- A failed fetch keeps the last known keys where the outage policy allows.
local function fetch_jwks(conf, uri)
    local body, err = _M.http_get(uri)
    local parsed = body and core.json.decode(body)
    if type(parsed) ~= "table" or type(parsed.keys) ~= "table" then
        core.log.warn(plugin_name, ": cannot fetch the realm's keys from ", uri, ": ", err or "not a JWKS")
        return keep_last_known(conf, uri)
    end
    local doc = core.json.encode(parsed)
    ngx.shared.jwks:set(uri, doc, conf.jwks_ttl)
    local stale = conf.keys_stale_if_unreachable or 0
    if stale > 0 and ngx.shared[DICT] then
        ngx.shared[DICT]:set(last_known_key(uri), doc, conf.jwks_ttl + stale)
    end
    return true
end


-- Before the cached JWKS expires, one request of the gateway (a lock in the
-- shared dict) refreshes it in a timer: steady traffic never meets an expired
-- cache (no request waits, no burst of fetches), and the cached document is
-- never older than jwks_ttl, which bounds how long a retired key is trusted.
local function refresh_margin(conf)
    return math.max(1, math.floor(conf.jwks_ttl / 4))
end

local function refresh_in_timer(premature, conf, uri)
    if not premature then
        fetch_jwks(conf, uri)
    end
end

local function refresh_soon(conf, uri)
    local left = ngx.shared.jwks:ttl(uri)
    if not left or left > refresh_margin(conf) then
        return
    end
    if ngx.shared[DICT]:add("prefetch:" .. uri, true, refresh_margin(conf)) then
        ngx.timer.at(0, refresh_in_timer, conf, uri)
    end
end


-- What the cached JWKS says of a kid: "known", "unknown", or "uncached"
-- (nothing cached, or no jwks_uri yet). A kid-less token is known only when
-- the JWKS holds one key (lua-resty-openidc would pick it).
local function key_state(conf, kid)
    local uri = jwks_uri(conf)
    local doc = uri and ngx.shared.jwks:get(uri)
    if type(doc) ~= "string" then
        return "uncached", uri
    end
    refresh_soon(conf, uri)
    local kids, count = kids_of(conf, doc)
    if kid == nil then
        return count == 1 and "known" or "unknown", uri
    end
    return kids[kid] and "known" or "unknown", uri
end


local WAIT_STEP = 0.02
-- One fetcher at a time while nothing is cached; a stuck fetch hands over after this.
local FETCH_LOCK = 3
local WAIT_LIMIT = 3


-- A refused token is logged at info: the decision log has a line for every
-- refusal already, and a flood of forged tokens must not become a flood of
-- error-log writes (they cost a seventh of a refusal). What an operator must
-- act on (keys that cannot be fetched, a missing dict) is a warning.
-- Returns the status, the body and the decision log's reason (invalid_token
-- unless said: the claims of a token whose signature was not checked must
-- not name it).
local function refuse(conf, why, level, reason)
    core.log[level or "info"](plugin_name, ": ", why)
    ngx.header["WWW-Authenticate"] = 'Bearer realm="' .. conf.realm .. '", error="invalid_token"'
    return 401, { error = "invalid_token" }, reason or "invalid_token"
end


-- Whether the realm's keys hold `kid`, fetching them when the gateway has
-- none (one fetcher, the others wait for it) or when a kid is unknown (at
-- most one refetch per refetch_interval: that is how a new key is learnt
-- after a rotation; every other unknown kid is refused without a fetch).
-- Returns nil when the token may go on, or the refusal (status, body, reason).
local function check_key(conf, kid, limits)
    local waited = 0
    while true do
        local state, uri = key_state(conf, kid)
        if state == "known" then
            return nil
        end
        if state == "unknown" then
            if not limits:add("refetch:" .. uri, true, conf.refetch_interval) then
                return refuse(conf, "token under an unknown key refused without a JWKS fetch (one per " .. conf.refetch_interval .. " s)")
            end
            if fetch_jwks(conf, uri) and key_state(conf, kid) == "known" then
                return nil
            end
            return refuse(conf, "token under a key the realm does not publish")
        end
        if limits:add("fetch:" .. conf.discovery, true, FETCH_LOCK) then
            -- This request fetches (the discovery document too, on a cold gateway); the others wait for what it caches.
            uri = uri or jwks_uri(conf, true)
            local fetched = uri and fetch_jwks(conf, uri)
            limits:delete("fetch:" .. conf.discovery)
            if not fetched then
                return refuse(conf, "the realm's keys could not be fetched", "warn")
            end
        else
            if waited >= WAIT_LIMIT then
                return refuse(conf, "the realm's keys could not be fetched in time", "warn")
            end
            ngx.sleep(WAIT_STEP)
            waited = waited + WAIT_STEP
        end
    end
end


-- The fast path asks key_state at most once a second per key (this worker):
-- its shared-dict reads cost about 4% of the gateway's throughput. A key
-- that leaves the cached JWKS is noticed at most that much later.
local KNOWN_MEMO = 1
local NO_KID = {}
local known_until = {}

local function known_lately(conf, kid)
    local memo = known_until[conf.discovery]
    if not memo then
        memo = {}
        known_until[conf.discovery] = memo
    end
    local now = ngx.now()
    if (memo[kid or NO_KID] or 0) > now then
        return true
    end
    if key_state(conf, kid) ~= "known" then
        return false
    end
    memo[kid or NO_KID] = now + KNOWN_MEMO
    return true
end


-- On the fast path openid-connect stands aside: APISIX's plugin runner skips
-- a plugin marked with skip_plugin (what its workflow plugin uses) for the
-- rest of the request. Not openid-connect's `_meta.filter`: the runner
-- evaluates a filter through lua-resty-expr, whose inner loop aborts the JIT
-- trace of the runner's own loop (plugin.lua:1370, "inner loop in root
-- trace"); in some worker processes that loop was then blacklisted and ran
-- interpreted for the worker's life (jit.v). Marked only in
-- screen() below, for a remembered token whose key is still published: a
-- request that is not on the fast path meets openid-connect (the route's next
-- plugin) as before.
local OIDC_PLUGIN = "openid-connect"




-- The cheap refusal of forged signatures: a token under a known key whose
-- RS256 signature does not verify is refused here, without openid-connect's
-- per-request work (about eight times a remembered token's cost); one that
-- verifies goes on to openid-connect, which stays the authority that accepts.
-- Keys are loaded once per JWKS document (weak: a refreshed document's keys
-- replace them).
local pkeys = setmetatable({}, { __mode = "k" })

local function load_jwk(jwk)
    return require("resty.openssl.pkey").new(core.json.encode(jwk), { format = "JWK" })
end

-- The signature is checked with OpenSSL's EVP_DigestVerify directly, not
-- lua-resty-openssl's pkey:verify: on a failed verification (every forged
-- signature) that formats OpenSSL's error queue in a Lua loop (err.lua),
-- which aborted the JIT traces that met it ("inner loop in root trace", 16
-- times in 4 s of forgeries, jit.v; the traces started in rs256_valid and
-- refuse_forged): each abort is a step towards LuaJIT blacklisting the code a
-- trace started in. It also cost 4 us more per forgery (a bare loop: 24.5
-- against 20.3 us). Here the queue is cleared in C, so no error is left for
-- the worker's next OpenSSL call (its TLS included).
-- The declarations are lua-resty-openssl's (loaded with its pkey module).
local ffi = require("ffi")
local sha256 = nil

local function openssl_rs256(key, input, signature)
    local C = ffi.C
    sha256 = sha256 or C.EVP_get_digestbyname("sha256")
    if sha256 == nil then
        return nil
    end
    local md_ctx = C.EVP_MD_CTX_new()
    if md_ctx == nil then
        return nil
    end
    local valid = C.EVP_DigestVerifyInit(md_ctx, nil, sha256, nil, key.ctx) == 1
        and C.EVP_DigestVerify(md_ctx, signature, #signature, input, #input) == 1
    C.EVP_MD_CTX_free(md_ctx)
    C.ERR_clear_error()
    return valid
end
_M.openssl_rs256 = openssl_rs256

-- Whether `signature` (bytes) is `input`'s RS256 signature under the JWK;
-- nil when the key cannot be used here (openid-connect then decides).
function _M.rs256_valid(jwk, input, signature)
    local key = pkeys[jwk]
    if key == nil then
        local ok, loaded = pcall(load_jwk, jwk)
        key = ok and loaded or false
        pkeys[jwk] = key
    end
    if not key then
        return nil
    end
    return _M.openssl_rs256(key, input, signature) == true
end

-- The JWK a token names (its kid, or the only key), from the JWKS just checked.
local function signing_key(conf, kid)
    local known = keys_of[conf.discovery]
    if not known then
        return nil
    end
    if kid == nil then
        return known.count == 1 and known.only or nil
    end
    return known.kids[kid]
end

local CLOCK_SKEW = helpers.CLOCK_SKEW

-- What openid-connect would refuse in claims whose signature has just proved
-- them the realm's (and write an error-log line for, per request): another
-- issuer, no exp or one past, an nbf ahead. Refused here with the reason the
-- claims name; gateway-identity would refuse the same after the skew.
local function claims_refusal(conf, claims)
    if conf.issuer and claims.iss ~= conf.issuer then
        return refuse(conf, "the token is from another issuer", nil, "wrong_issuer")
    end
    local now = ngx.time()
    if type(claims.exp) ~= "number" then
        return refuse(conf, "the token has no exp")
    end
    if claims.exp + CLOCK_SKEW < now then
        return refuse(conf, "the token expired", nil, "expired_token")
    end
    if type(claims.nbf) == "number" and claims.nbf > now + CLOCK_SKEW then
        return refuse(conf, "the token is not valid yet")
    end
    return nil
end

-- Replayed forged tokens. A header whose RS256 signature failed under a key
-- of the realm's JWKS is remembered by this worker, with that key set (a
-- refreshed JWKS forgets them all): a replay is refused again without
-- another verification, the costliest part of a refusal, while the keys it
-- was judged by stay the same. Only that refusal is remembered: its outcome
-- cannot change under the same keys (an unknown kid's can, at the next
-- refetch; an nbf ahead, with time). Bounded: FORGED_MEMORY headers per
-- realm and worker.
--
-- The memory keeps each header's SHA-1, never the header. LuaJIT interns
-- every string, and OpenResty's hashes one of 128 bytes or more from its
-- length, its ends and a few sampled bytes only: forged headers that differ
-- in their middle bytes all hash alike, and each new one is compared with
-- every one of them still alive (npm run bench:string-hash: with 1,024
-- alive, each new 1.2 KB string cost 7 to 30 us, against about 1). Kept as
-- keys here, a crafted flood's headers made every request that interns one
-- of them (the valid token they were cut from included) pay that walk: on
-- one gateway worker, an all-forged flood cut from one token cost 1.6 to 1.8
-- times a random forgery's time with the headers kept, 1.25 to 1.35 with
-- digests (scratch runs; docs/operations.md, String-hash flooding). A
-- 20-byte digest hashes in full, and an attacker cannot choose it (that
-- would take a second preimage of SHA-1).
local FORGED_MEMORY = 1024
_M.header_digest = ngx.sha1_bin

local function remember_forged(known, digest, kid)
    local memory = known.forged
    if not memory then
        memory = lrucache.new(FORGED_MEMORY)
        known.forged = memory
    end
    memory:set(digest, kid or NO_KID)
end

-- Whether this header was refused for its signature under the keys the
-- realm's JWKS holds now (key_state reads the cached JWKS, so a changed
-- document is seen here first), and the header's digest if it was taken:
-- only once the realm has a memory to look in, so a realm no forgery has
-- reached never pays a SHA-1.
local function replayed_forgery(conf, authorization)
    local known = keys_of[conf.discovery]
    local memory = known and known.forged
    if not memory then
        return false
    end
    local digest = _M.header_digest(authorization)
    local kid = memory:get(digest)
    if not kid then
        return false, digest
    end
    if kid == NO_KID then
        kid = nil
    end
    return key_state(conf, kid) == "known" and keys_of[conf.discovery] == known, digest
end


-- Refuses a token whose alg is not RS256 or whose signature does not verify
-- under its (known) key; then one whose payload is not a JSON object (the
-- payload is decoded only now: a forged signature never costs it), or whose
-- claims, once the signature verified, openid-connect would refuse. nil lets
-- it go on; a key it cannot use is left to openid-connect.
local function refuse_forged(conf, token, authorization, digest)
    local header = token.header
    if header.alg ~= "RS256" then
        return refuse(conf, "alg " .. header.alg .. " is not RS256")
    end
    local jwk = signing_key(conf, header.kid)
    local signature = jwk and from_base64url(token_signature(token))
    local valid = signature and _M.rs256_valid(jwk, token_signed(token), signature)
    if valid == false then
        remember_forged(keys_of[conf.discovery], digest or _M.header_digest(authorization), header.kid)
        return refuse(conf, "the signature does not verify under the realm's key")
    end
    local claims = token_payload(token)
    if not claims then
        return refuse(conf, "not a bearer JWT: its payload is not a JSON object")
    end
    if valid then
        return claims_refusal(conf, claims)
    end
    return nil
end


local function screen(conf, ctx)
    -- $http_authorization, not core.request.header: on the native runtime that
    -- copies every request header into a new table on each call. (nginx
    -- refuses a request with two Authorization headers, so there is one value.)
    local authorization = ctx.var.http_authorization
    local limits = ngx.shared[DICT]
    -- Fail closed without the dict: unbounded fetching is what this plugin prevents.
    if not limits then
        return refuse(conf, "shared dict " .. DICT .. " missing", "warn")
    end
    local seen = type(authorization) == "string" and verified_tokens.lookup(conf, authorization)
    if seen and known_lately(conf, seen.kid) then
        ctx.gateway_verified_token = seen
        apisix_plugin.skip_plugin(ctx, OIDC_PLUGIN)
        return
    end
    if authorization == nil then
        -- RFC 6750 3.1: a request without credentials gets a challenge without an error code.
        ngx.header["WWW-Authenticate"] = 'Bearer realm="' .. conf.realm .. '"'
        return 401, { message = "a bearer token is required" }, "missing_token"
    end
    local replayed, digest = replayed_forgery(conf, authorization)
    if replayed then
        return refuse(conf, "the signature does not verify under the realm's key (a replay)")
    end

    local token, problem = verifiable_token(authorization)
    if not token then
        return refuse(conf, problem)
    end
    local header = token.header
    -- For gateway-identity, which enters the token in the fast path once openid-connect verified it.
    verified_tokens.propose(ctx, conf, authorization, header.kid)
    local status, body, reason = check_key(conf, header.kid, limits)
    if status then
        return status, body, reason
    end
    return refuse_forged(conf, token, authorization, digest)
end


function _M.rewrite(conf, ctx)
    local status, body, reason = screen(conf, ctx)
    if status then
        ctx.gateway_decision = { reason = reason }
    end
    return helpers.answer(status, body)
end




return _M
