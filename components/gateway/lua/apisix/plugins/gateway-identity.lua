--
-- gateway-identity: verified claims -> the route rule's decision and the
-- identity headers services get (rewrite phase, after openid-connect:
-- priority 2599 > 2580). Claims come from openid-connect's X-Userinfo
-- (bearer), the session's access token (apps), or the key guard's fast path;
-- it checks what openid-connect does not (audience, exp and nbf within 60 s,
-- roles, scopes, the tenant segment, an app's own Origin for unsafe methods),
-- sets X-User-ID / X-User-Role / X-Tenant-ID and the claim headers (clearing
-- absent ones), removes credentials, and records the decision and the
-- rate-limit key from verified claims only.
-- docs: docs/request-pipeline.md ("How a request is decided", step 4).
--
local core = require("apisix.core")
local ngx = ngx
local type = type
local ipairs = ipairs
local tostring = tostring
local concat = table.concat
local gmatch = string.gmatch

local verified_tokens = require("apisix.plugins.gateway-auth-verified-tokens")
local helpers = require("apisix.plugins.gateway-auth-helpers")
local from_base64url = helpers.from_base64url
local names_audience = helpers.names_audience

local plugin_name = "gateway-identity"

local header_name = { type = "string", pattern = "^[A-Za-z0-9-]+$" }

local schema = {
    type = "object",
    properties = {
        known_roles = {
            type = "array",
            items = { type = "string", minLength = 1 },
            uniqueItems = true,
        },
        allow_roles = {
            type = "array",
            items = { type = "string", minLength = 1 },
            minItems = 1,
            uniqueItems = true,
        },
        -- Every one of them must be in the token's `scope` claim (space-separated), after the role check.
        required_scopes = {
            type = "array",
            items = { type = "string", pattern = "^[A-Za-z0-9][A-Za-z0-9_:.-]*$" },
            uniqueItems = true,
            default = {},
        },
        -- Tenant-bound routes: this path segment (1-based) must be the token's tenant, byte for byte.
        tenant_segment = { type = "integer", minimum = 1 },
        claims_source = { type = "string", enum = { "userinfo", "access_token" }, default = "userinfo" },
        roles_claim = { type = "string", default = "realm_access.roles" },
        tenant_claim = { type = "string", default = "tenant_id" },
        user_id_header = { type = "string", pattern = header_name.pattern, default = "X-User-ID" },
        roles_header = { type = "string", pattern = header_name.pattern, default = "X-User-Role" },
        tenant_header = { type = "string", pattern = header_name.pattern, default = "X-Tenant-ID" },
        claim_headers = {
            type = "array",
            items = {
                type = "object",
                properties = {
                    claim = { type = "string", minLength = 1 },
                    header = header_name,
                },
                required = { "claim", "header" },
                additionalProperties = false,
            },
        },
        forward_userinfo = { type = "boolean", default = false },
        forward_authorization = { type = "boolean", default = false },
        -- Browser sessions: the gateway's session cookie (it holds the encrypted tokens) stays at the gateway.
        session_cookie = { type = "string", pattern = "^[A-Za-z0-9_-]+$" },
        -- Browser sessions: unsafe methods must come from this origin (the cookie goes wherever the browser sends it).
        app_origin = { type = "string", pattern = "^https?://[^/]+$" },
        -- The gateway's client id: every token must name it in aud.
        audience = { type = "string", minLength = 1 },
        -- The longest exp - iat the realm issues: a token claiming more is no token of the realm's.
        max_token_lifetime = { type = "integer", minimum = 1 },
        realm = { type = "string", minLength = 1 },
        -- The spec's machine clients: their tokens count against the client's budget, not one per token subject.
        service_clients = { type = "array", items = { type = "string", minLength = 1 }, default = {} },
    },
    required = { "known_roles", "allow_roles", "audience", "realm" },
    additionalProperties = false,
}

local _M = {
    version = 0.1,
    priority = 2580,
    name = plugin_name,
    schema = schema,
}


function _M.check_schema(conf)
    return core.schema.check(schema, conf)
end


-- limit-count's `key` on protected routes (key_type var): set only here, after verification.
core.ctx.register_var("gateway_rate_key", function(ctx)
    return ctx.gateway_rate_key
end)


-- What the decision log records of this plugin's decision.
local function decide(ctx, reason, identity)
    ctx.gateway_decision = { reason = reason, identity = identity }
end


-- Claim paths split once: the per-request lookup is then plain indexing
-- (gmatch per request kept this function out of LuaJIT's compiled code).
-- Paths come from route configuration, so the table stays small.
local claim_path_parts = {}

local function path_parts(path)
    local parts = claim_path_parts[path]
    if not parts then
        parts = {}
        for part in gmatch(path, "[^.]+") do
            parts[#parts + 1] = part
        end
        claim_path_parts[path] = parts
    end
    return parts
end


-- A dotted claim path ("realm_access.roles") looked up in the payload.
local function claim_at(claims, path)
    local value = claims
    local parts = path_parts(path)
    for i = 1, #parts do
        if type(value) ~= "table" then
            return nil
        end
        value = value[parts[i]]
    end
    return value
end


-- Request headers are written with ngx.req.set_header rather than
-- core.request.set_header: this runs up to nine times per request, and the
-- wrapper builds two strings per write to forget a ctx.var entry under a name
-- nobody reads for hyphenated headers ("http_x-user-id", where ctx.var caches
-- $http_x_user_id). This forgets the entry ctx.var really keeps, under a name
-- computed once per header. (On APISIX-Runtime, the official image, the
-- runtime itself marks the request's headers as changed on every
-- ngx.req.set_header, and core.request.header then reads them afresh.)
local req_set_header = ngx.req.set_header
local var_of_header = {}

local function set_request_header(ctx, name, value)
    req_set_header(name, value)
    local var = var_of_header[name]
    if not var then
        var = "http_" .. (name:lower():gsub("-", "_"))
        var_of_header[name] = var
    end
    ctx.var[var] = nil
end


local function scalar(value)
    if type(value) == "string" and value ~= "" then
        return value
    end
    if type(value) == "number" or type(value) == "boolean" then
        return tostring(value)
    end
    return nil
end


local SOURCE_HEADER = { userinfo = "X-Userinfo", access_token = "X-Access-Token" }


-- The raw JSON of the claims, from where openid-connect put them.
local function claims_json(conf, ctx)
    local value = core.request.header(ctx, SOURCE_HEADER[conf.claims_source])
    if type(value) ~= "string" or value == "" then
        return nil, "no verified claims: openid-connect did not run on this route"
    end
    if conf.claims_source == "userinfo" then
        return ngx.decode_base64(value), "verified claims are not base64"
    end
    local payload = value:match("^[%w_-]+%.([%w_-]+)%.[%w_-]*$")
    if not payload then
        return nil, "the session's access token is not a JWT"
    end
    return from_base64url(payload), "the session's access token payload is not base64url"
end


local function verified_claims(conf, ctx)
    -- The fast path: claims gateway-key-guard holds for this exact token,
    -- verified by openid-connect on an earlier request (bearer routes only).
    local seen = conf.claims_source == "userinfo" and ctx.gateway_verified_token
    if seen then
        return seen.claims, nil, seen
    end
    local decoded, err = claims_json(conf, ctx)
    if not decoded then
        return nil, err
    end
    local claims = core.json.decode(decoded)
    if type(claims) ~= "table" then
        return nil, "verified claims are not a JSON object"
    end
    if not scalar(claims.sub) then
        return nil, "verified claims carry no sub"
    end
    return claims
end


-- The caller's roles that the spec declares, in the spec's order.
local function declared_roles(conf, claims)
    local held = {}
    local roles = claim_at(claims, conf.roles_claim)
    if type(roles) == "table" then
        for _, role in ipairs(roles) do
            if type(role) == "string" then
                held[role] = true
            end
        end
    end
    local out = {}
    for _, role in ipairs(conf.known_roles) do
        if held[role] then
            out[#out + 1] = role
        end
    end
    return out
end


local CLOCK_SKEW = helpers.CLOCK_SKEW


local contains = helpers.contains




-- What openid-connect does not check: audience (it answers 403), exp present
-- and within the skew (it allows 120 s), nbf.
-- Returns the decision log's reason code and a message.
local function token_problem(conf, claims)
    if not names_audience(claims.aud, conf.audience) then
        return "wrong_audience", "the token is for another audience"
    end
    if type(claims.exp) ~= "number" then
        return "invalid_token", "the token has no exp"
    end
    -- openid-connect accepts a token up to 120 s past its exp (lua-resty-openidc's slack).
    if claims.exp + CLOCK_SKEW < ngx.time() then
        return "expired_token", "the token expired more than " .. CLOCK_SKEW .. " s ago"
    end
    if type(claims.nbf) == "number" and claims.nbf > ngx.time() + CLOCK_SKEW then
        return "invalid_token", "the token is not valid yet"
    end
    -- The realm always sets iat: a token issued in the future, or living
    -- longer than anything the realm issues, was not issued by it.
    if conf.max_token_lifetime then
        if type(claims.iat) ~= "number" then
            return "invalid_token", "the token has no iat"
        end
        if claims.iat > ngx.time() + CLOCK_SKEW then
            return "invalid_token", "the token was issued in the future"
        end
        if claims.exp - claims.iat > conf.max_token_lifetime + CLOCK_SKEW then
            return "invalid_token", "the token lives longer than the realm issues tokens"
        end
    end
    return nil
end


-- Where the claims came from, for the decision log.
local function claims_origin(conf, seen)
    if conf.claims_source == "access_token" then
        return "session"
    end
    return seen and "fast-path" or "openid-connect"
end


-- The challenge every refusal of this plugin answers with: the realm, then RFC 6750's parameters.
local function bearer_challenge(conf, params)
    return 'Bearer realm="' .. conf.realm .. '"' .. (params or "")
end

local function invalid_token(conf)
    ngx.header["WWW-Authenticate"] = bearer_challenge(conf, ', error="invalid_token"')
    return 401, { error = "invalid_token" }
end


-- RFC 6750 3.1: the token is valid but lacks a scope the rule requires; the challenge names them all.
local function insufficient_scope(conf)
    ngx.header["WWW-Authenticate"] = bearer_challenge(conf, ', error="insufficient_scope", scope="' .. concat(conf.required_scopes, " ") .. '"')
    return 403, { error = "insufficient_scope" }
end


-- The Cookie header without the gateway's session cookie and its chunks (name, name_2, ...): the request guard's reader.
local without_cookies = helpers.without_cookies

local function without_session_cookies(header, name)
    return without_cookies(header, { name })
end


local function holds_any(roles, allowed)
    for _, role in ipairs(roles) do
        if contains(allowed, role) then
            return true
        end
    end
    return false
end


-- Whether the token's `scope` claim (RFC 6749 3.3: space-separated) lacks one of the rule's scopes.
local function lacks_scope(conf, claims)
    local required = conf.required_scopes
    if not required or #required == 0 then
        return false
    end
    local held = {}
    if type(claims.scope) == "string" then
        for scope in gmatch(claims.scope, "[^ ]+") do
            held[scope] = true
        end
    end
    for _, scope in ipairs(required) do
        if not held[scope] then
            return true
        end
    end
    return false
end


-- Segment `index` (1-based) of a path: "/api/tenants/acme/x", 3 -> "acme".
local function path_segment(path, index)
    if type(path) ~= "string" then
        return nil
    end
    local n = 0
    for segment in gmatch(path, "/([^/]*)") do
        n = n + 1
        if n == index then
            return segment
        end
    end
    return nil
end


-- Why a tenant-bound route refuses this caller, or nil. Both the normalised
-- path (what the route matched) and the raw one (what the caller sent, and a
-- service may read) must carry the tenant itself: "%61cme", "acme;x",
-- "acme/../other" or "//" shifts refuse rather than match.
local function tenant_problem(conf, ctx, tenant)
    if not tenant then
        return "tenant_missing"
    end
    local raw = ctx.var.real_request_uri or ctx.var.request_uri
    raw = type(raw) == "string" and raw:match("^[^?#]*") or nil
    if path_segment(ctx.var.uri, conf.tenant_segment) ~= tenant or path_segment(raw, conf.tenant_segment) ~= tenant then
        return "tenant_mismatch"
    end
    return nil
end


local function managed_headers(conf)
    local names = { conf.user_id_header, conf.roles_header, conf.tenant_header }
    for _, mapping in ipairs(conf.claim_headers or {}) do
        names[#names + 1] = mapping.header
    end
    return names
end


-- What a route's rule makes of verified claims: the caller's declared roles
-- and whether they pass the rule, the identity for later plugins and the
-- log, the rate-limit key and the identity headers (name, value pairs; false
-- clears). A function of the rule and the claims alone, so the fast path
-- keeps a remembered token's view with it (per rule) and reuses it: the view
-- and its tables are shared by requests and must stay read-only.
local function identity_view(conf, claims, claims_from)
    local roles = declared_roles(conf, claims)
    local tenant_claim = claim_at(claims, conf.tenant_claim)
    local tenant = scalar(tenant_claim)
    local sub = scalar(claims.sub)
    local client = scalar(claims.azp) or scalar(claims.client_id)
    local rate_key
    if client and contains(conf.service_clients, client) then
        rate_key = "client:" .. client
    elseif sub then
        rate_key = "sub:" .. sub
    end
    local headers = {
        conf.user_id_header, sub or false,
        conf.roles_header, #roles > 0 and concat(roles, ",") or false,
        conf.tenant_header, tenant or false,
    }
    for _, mapping in ipairs(conf.claim_headers or {}) do
        local value = scalar(claim_at(claims, mapping.claim))
        -- Users may set their own email: only one the realm verified is an identity.
        if mapping.claim == "email" and claims.email_verified ~= true then
            value = nil
        end
        headers[#headers + 1] = mapping.header
        headers[#headers + 1] = value or false
    end
    local refusal = nil
    if not holds_any(roles, conf.allow_roles) then
        refusal = "role_missing"
    elseif lacks_scope(conf, claims) then
        refusal = "scope_missing"
    end
    return {
        refusal = refusal,
        -- What a tenant-bound path segment is compared with: a string claim only (no 1 for "1").
        bound_tenant = type(tenant_claim) == "string" and tenant_claim ~= "" and tenant_claim or nil,
        user = { sub = claims.sub, roles = roles, tenant = tenant },
        identity = { sub = sub, client_id = client, tenant = tenant, claims_from = claims_from },
        rate_key = rate_key,
        headers = headers,
    }
end


-- A remembered token's view under this rule, made on its first fast-path
-- request. Keyed weakly by the rule's conf: a reloaded config's rules are new
-- tables, and the old views go with the old confs.
local WEAK_KEYS = { __mode = "k" }

local function remembered_view(conf, seen)
    local views = seen.views
    if not views then
        views = setmetatable({}, WEAK_KEYS)
        seen.views = views
    end
    local view = views[conf]
    if not view then
        view = identity_view(conf, seen.claims, claims_origin(conf, seen))
        views[conf] = view
    end
    return view
end


local SAFE_METHODS = { GET = true, HEAD = true, OPTIONS = true }


-- An unsafe request on a session route from anywhere but the app itself.
local function cross_site(conf, ctx)
    if not conf.app_origin or SAFE_METHODS[ngx.req.get_method()] then
        return false
    end
    local origin = core.request.header(ctx, "Origin")
    if origin ~= nil then
        return origin ~= conf.app_origin
    end
    return core.request.header(ctx, "Sec-Fetch-Site") ~= "same-origin"
end


-- A refused request carries no identity and no claims further, whatever
-- comes next. (An allowed one gets every managed header set or cleared below,
-- so a client's copy never survives either way: the global rule removed them
-- before, too.)
local function strip_identity(conf, ctx)
    for _, name in ipairs(managed_headers(conf)) do
        set_request_header(ctx, name, nil)
    end
    set_request_header(ctx, "X-Userinfo", nil)
    set_request_header(ctx, "X-Access-Token", nil)
end


-- A view's headers (name, value pairs; false clears): its three identity
-- headers and the rule's claim headers. Written without a loop for up to two
-- claim headers: this runs inside APISIX's plugin runner, and a short loop met
-- there aborts the runner's own JIT trace ("inner loop in root trace"), each
-- abort a step towards LuaJIT blacklisting the runner's loop for the worker's
-- life (docs/benchmarks.md).
local function set_pair(ctx, headers, i)
    set_request_header(ctx, headers[i], headers[i + 1] or nil)
end

local function set_identity_headers(ctx, headers)
    set_pair(ctx, headers, 1)
    set_pair(ctx, headers, 3)
    set_pair(ctx, headers, 5)
    local count = #headers
    if count > 6 then
        set_pair(ctx, headers, 7)
    end
    if count > 8 then
        set_pair(ctx, headers, 9)
    end
    for i = 11, count, 2 do
        set_pair(ctx, headers, i)
    end
end


local function admit(conf, ctx)
    if cross_site(conf, ctx) then
        strip_identity(conf, ctx)
        decide(ctx, "cross_site_request")
        return 403, { error = "cross_site_request" }
    end

    local claims, err, seen = verified_claims(conf, ctx)
    if not claims then
        strip_identity(conf, ctx)
        core.log.warn(plugin_name, ": ", err)
        decide(ctx, "invalid_token")
        return 401, { error = "unauthenticated" }
    end

    local reason, problem = token_problem(conf, claims)
    if reason then
        strip_identity(conf, ctx)
        -- A caller's mistake, per request: the decision log names it.
        core.log.info(plugin_name, ": ", problem)
        decide(ctx, reason)
        return invalid_token(conf)
    end

    -- Verified just now by openid-connect: the token may take the fast path next time.
    if not seen and conf.claims_source == "userinfo" then
        -- X-Userinfo is kept only where services get it (it doubles an entry's size).
        local userinfo = conf.forward_userinfo and core.request.header(ctx, "X-Userinfo") or nil
        verified_tokens.remember(ctx, core.request.header(ctx, "Authorization"), claims, userinfo)
    end

    local view = seen and remembered_view(conf, seen) or identity_view(conf, claims, claims_origin(conf, seen))
    ctx.external_user = view.user
    if view.refusal then
        strip_identity(conf, ctx)
        decide(ctx, view.refusal, view.identity)
        if view.refusal == "scope_missing" then
            return insufficient_scope(conf)
        end
        return 403, { message = "forbidden" }
    end
    local tenant_refusal = conf.tenant_segment and tenant_problem(conf, ctx, view.bound_tenant)
    if tenant_refusal then
        strip_identity(conf, ctx)
        decide(ctx, tenant_refusal, view.identity)
        return 403, { error = "tenant_mismatch" }
    end
    decide(ctx, "allowed", view.identity)
    ctx.gateway_rate_key = view.rate_key

    set_identity_headers(ctx, view.headers)

    if not conf.forward_userinfo then
        set_request_header(ctx, "X-Userinfo", nil)
    elseif seen then
        -- What openid-connect would have set, had it run.
        set_request_header(ctx, "X-Userinfo", seen.userinfo or ngx.encode_base64(core.json.encode(seen.claims)))
    end
    -- Tokens stay at the gateway: services get identity headers, not credentials.
    set_request_header(ctx, "X-Access-Token", nil)
    if not conf.forward_authorization then
        set_request_header(ctx, "Authorization", nil)
    end
    local cookie = conf.session_cookie and core.request.header(ctx, "Cookie")
    if type(cookie) == "string" then
        set_request_header(ctx, "Cookie", without_session_cookies(cookie, conf.session_cookie))
    end
end


function _M.rewrite(conf, ctx)
    return helpers.answer(admit(conf, ctx))
end


-- The challenge a refused caller gets: RFC 6750's code, no internals.
function _M.header_filter(conf, _ctx)
    if ngx.status ~= 401 then
        return
    end
    local current = ngx.header["WWW-Authenticate"]
    if type(current) == "table" then
        current = current[1]
    end
    local refused = type(current) == "string" and current:find('error="', 1, true)
    ngx.header["WWW-Authenticate"] = bearer_challenge(conf, refused and ', error="invalid_token"' or nil)
end



return _M
