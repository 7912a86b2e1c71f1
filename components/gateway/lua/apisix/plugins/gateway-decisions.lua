--
-- gateway-decisions: one record of every request the gateway decides (a
-- global rule: unmatched requests too). It gives each request an id
-- (X-Request-Id), adds Retry-After to a 429, classifies the outcome
-- (`decision`, and `reason` from a closed set) for the log and Prometheus,
-- and writes one JSON line per request, never a credential.
-- docs: docs/request-pipeline.md ("Decision log": fields and reasons).
--
local core = require("apisix.core")
local ngx = ngx
local type = type
local tonumber = tonumber
local io_open = io.open
local math_max = math.max
local math_ceil = math.ceil
local str_find = string.find
local str_format = string.format

local helpers = require("apisix.plugins.gateway-auth-helpers")
local names_audience = helpers.names_audience

local plugin_name = "gateway-decisions"
local json_null = core.json.null

local schema = {
    type = "object",
    properties = {
        log_path = { type = "string", minLength = 1 },
        -- The realm's issuer and the gateway's client id, to name why openid-connect refused a token.
        issuer = { type = "string", minLength = 1 },
        audience = { type = "string", minLength = 1 },
    },
    required = { "log_path", "issuer", "audience" },
    additionalProperties = false,
}

local _M = {
    version = 0.1,
    -- Before every other plugin of the global rules: the request id exists for all of them.
    priority = 12100,
    name = plugin_name,
    schema = schema,
}


function _M.check_schema(conf)
    return core.schema.check(schema, conf)
end


-- Reasons under which the request went on (to the service, or answered by the gateway as asked).
local ALLOWING = {
    allowed = true, public = true, handled_at_gateway = true,
    -- Allowed, then the service failed: the gateway's decision stands, the outcome is named.
    upstream_unreachable = true, upstream_timeout = true, upstream_reset = true,
}


-- The last of nginx's comma-separated per-try values ("502, 504"); "-" for
-- none (nginx's word for a phase never reached). Read from ngx.var (strings)
-- rather than ctx.var: one lookup each, on every request's log line.
local function last_try(value)
    if value == nil or value == "" then
        return "-"
    end
    if not str_find(value, ",", 1, true) then
        return value
    end
    return value:match("([^,%s]+)%s*$") or "-"
end


-- $upstream_status and $request_id, each read from nginx once per request and
-- kept in the request's context: every read of an nginx variable is a lookup
-- by name (about 800 instructions, callgrind), and the log line, the
-- classification and the response header each want them. (false: nginx has
-- no upstream status, no upstream was tried.)
local function upstream_status_text(ctx)
    local text = ctx.gateway_upstream_status
    if text == nil then
        text = ngx.var.upstream_status or false
        ctx.gateway_upstream_status = text
    end
    return text or nil
end

local function request_id(ctx)
    local id = ctx.gateway_request_id
    if not id then
        id = ngx.var.request_id
        ctx.gateway_request_id = id
    end
    return id
end


-- Why the service's answer did not arrive whole, from nginx's record of the
-- exchange; nil when it did (whatever its status: a service's own 502 came
-- with a header, so it is the service's answer, not a failure to get one).
local function upstream_failure(ctx, status)
    local var = ngx.var
    local tried = last_try(upstream_status_text(ctx))
    if tried == "-" then
        return nil
    end
    if last_try(var.upstream_header_time) == "-" then
        if tried == "504" then
            return "upstream_timeout"
        end
        return last_try(var.upstream_connect_time) == "-" and "upstream_unreachable" or "upstream_reset"
    end
    -- A header, then the connection ended before the body it announced: the caller got it cut short.
    -- (A chunked body cut short is not told apart here; the caller still sees no last chunk.)
    if status == 204 or status == 304 or ngx.req.get_method() == "HEAD" then
        return nil
    end
    local announced = tonumber(var.upstream_http_content_length)
    if announced == nil then
        return nil
    end
    local received = tonumber(var.upstream_response_length)
    if received and received < announced then
        return "upstream_reset"
    end
    return nil
end


-- Why openid-connect refused a request (it says only 401).
local function token_reason(conf, ctx)
    local authorization = ctx.var.http_authorization
    if authorization == nil then
        return "missing_token"
    end
    -- The refused token's claims, read without verifying them: only to name the reason.
    local claims = helpers.bearer_jwt_part(authorization, 2)
    if not claims then
        return "invalid_token"
    end
    if type(claims.exp) == "number" and claims.exp <= ngx.time() then
        return "expired_token"
    end
    if claims.iss ~= conf.issuer then
        return "wrong_issuer"
    end
    if not names_audience(claims.aud, conf.audience) then
        return "wrong_audience"
    end
    return "invalid_token"
end


-- The reason code for a request's outcome; see docs/request-pipeline.md's table.
local function reason_for(conf, ctx, status)
    local route = ctx.matched_route
    if not route then
        return "no_route"
    end
    local labels = route.value.labels or {}
    local decided = ctx.gateway_decision
    if status == 429 then
        return "rate_limited"
    end
    if labels.refusal and status >= 400 then
        return labels.refusal
    end
    if decided and decided.reason ~= "allowed" then
        return decided.reason
    end
    if status == 401 then
        return labels.session == "true" and "session_required" or token_reason(conf, ctx)
    end
    if status == 302 and labels.session == "true" and not decided then
        return "session_required"
    end
    if status == 503 and labels.session == "true" and upstream_status_text(ctx) == nil then
        -- openid-connect could not reach the realm for a sign-in (rendered as 503 by response-rewrite).
        return "sign_in_unavailable"
    end
    if decided or labels.access == "public" then
        -- Allowed, then refused further on (limit-count's store, say): the gateway failed.
        if status >= 500 and upstream_status_text(ctx) == nil then
            return "gateway_error"
        end
        return upstream_failure(ctx, status) or (decided and "allowed" or "public")
    end
    if labels.access == "gateway" and status < 400 then
        return "handled_at_gateway"
    end
    return status >= 500 and "gateway_error" or "invalid_request"
end


-- The classification, once per request (the log line and the Prometheus labels share it).
local function outcome(ctx)
    local cached = ctx.gateway_outcome
    if cached then
        return cached
    end
    local conf = ctx.gateway_decisions_conf
    if not conf then
        return nil
    end
    local reason = reason_for(conf, ctx, ngx.status)
    cached = { reason = reason, decision = ALLOWING[reason] and "allow" or "deny" }
    ctx.gateway_outcome = cached
    return cached
end


core.ctx.register_var("gateway_decision", function(ctx)
    local o = outcome(ctx)
    return o and o.decision
end)
core.ctx.register_var("gateway_reason", function(ctx)
    local o = outcome(ctx)
    return o and o.reason
end)


function _M.rewrite(conf, ctx)
    ctx.gateway_decisions_conf = conf
    core.request.set_header(ctx, "X-Request-Id", request_id(ctx))
end


-- Seconds until a limited caller's window resets, from limit-count's record.
local function retry_after(ctx)
    local info = ctx.var.rate_limiting_info
    local parsed = type(info) == "string" and core.json.decode(info)
    local reset = type(parsed) == "table" and tonumber(parsed.rate_limiting_reset)
    return math_max(1, math_ceil(reset or 1))
end


function _M.header_filter(conf, ctx)
    ctx.gateway_decisions_conf = conf
    ngx.header["X-Request-Id"] = request_id(ctx)
    if ngx.status == 429 and ngx.header["Retry-After"] == nil then
        ngx.header["Retry-After"] = tostring(retry_after(ctx))
    end
end


-- One handle per worker, unbuffered, appending: each line is ONE write(2) of
-- at most MAX_LINE bytes (see encode_line), so lines from several workers
-- never interleave, in a file or a pipe. (Writing the line and "\n" separately did, under load.)
local handles = {}

local function write_line(path, line)
    local handle = handles[path]
    if not handle then
        local err
        handle, err = io_open(path, "a")
        if not handle then
            core.log.error(plugin_name, ": cannot open ", path, ": ", err)
            return
        end
        handle:setvbuf("no")
        handles[path] = handle
    end
    handle:write(line .. "\n")
end


-- A line must stay ONE atomic write wherever it goes: a file opened for
-- appending, or a pipe (container stdout, a FIFO), where Linux keeps writes of
-- at most PIPE_BUF (4096) bytes whole. Strings are cut to these lengths (the
-- line records what was cut and its length), then the path harder if needed.
local MAX_LINE = 4000
local MAX_FIELD = { path = 1024, route = 128, method = 32, sub = 256, client_id = 256, tenant = 256 }
-- A line still over MAX_LINE is encoded again with these.
local SHORT_FIELD = { path = 256, route = MAX_FIELD.route, method = MAX_FIELD.method, sub = 64, client_id = 64, tenant = 64 }


-- Bytes a strict JSON parser refuses as UTF-8 (and non-ASCII in general)
-- are percent-encoded: a path is a URI, and the other fields are ASCII in
-- practice. A line is then always valid UTF-8 JSON.
local function percent_encoded(c)
    return str_format("%%%02X", c:byte())
end

local function ascii(text)
    if not text:find("[\128-\255]") then
        return text
    end
    return (text:gsub("[\128-\255]", percent_encoded))
end


-- One string field bounded (made safe before: safe_fields); `truncated`
-- (made when first needed, returned) names what was cut and its length.
local function bound_field(record, field, limit, truncated)
    local value = record[field]
    if type(value) ~= "string" then
        return truncated
    end
    if #value > limit then
        truncated = truncated or {}
        truncated[field] = #value
        value = value:sub(1, limit) .. "..."
    end
    record[field] = value
    return truncated
end

-- The record's string fields bounded (MAX_FIELD's six, each
-- named: no loop here. This runs inside APISIX's global-rule runner, and a
-- short loop met there aborts the runner's own JIT trace, "inner loop in
-- root trace": each abort a step towards LuaJIT blacklisting the runner's
-- loop for the worker's life. docs/benchmarks.md).
local function bounded(record, limits)
    local truncated = bound_field(record, "path", limits.path, nil)
    truncated = bound_field(record, "route", limits.route, truncated)
    truncated = bound_field(record, "method", limits.method, truncated)
    truncated = bound_field(record, "sub", limits.sub, truncated)
    truncated = bound_field(record, "client_id", limits.client_id, truncated)
    truncated = bound_field(record, "tenant", limits.tenant, truncated)
    if truncated then
        record.truncated = truncated
    end
    return record
end


-- nginx's UTC time text changes once a second: rewritten once a second, not per line.
local second, second_text
local function iso_time(now)
    local sec = math.floor(now)
    if sec ~= second then
        second, second_text = sec, (ngx.utctime():gsub(" ", "T"))
    end
    return str_format("%s.%03dZ", second_text, math.floor((now % 1) * 1000))
end


-- One line of the decision log from a record whose strings are safe, never
-- longer than MAX_LINE bytes.
local function encode_safe_line(record)
    local line = core.json.encode(bounded(record, MAX_FIELD))
    if #line > MAX_LINE then
        line = core.json.encode(bounded(record, SHORT_FIELD))
    end
    return line
end


local function safe(value)
    return type(value) == "string" and ascii(value) or value
end

-- The record's six string fields made safe (named one by one: see bounded).
local function safe_fields(record)
    record.path = safe(record.path)
    record.route = safe(record.route)
    record.method = safe(record.method)
    record.sub = safe(record.sub)
    record.client_id = safe(record.client_id)
    record.tenant = safe(record.tenant)
    return record
end

-- One line of the decision log, whatever a record's strings hold.
function _M.encode_line(record)
    return encode_safe_line(safe_fields(record))
end


-- A verified identity's strings and a route's id made safe once per table,
-- not once per request: a remembered token's identity (gateway-identity's
-- view) and a route's value are shared by every request that uses them, and
-- scanning their strings for bytes to encode was about a quarter of what a bearer
-- request's instructions exceed the public route's by (callgrind,
-- docs/benchmarks.md). Weak keys: each goes with its table.
local WEAK_KEYS = { __mode = "k" }
local safe_identities = setmetatable({}, WEAK_KEYS)
local safe_route_ids = setmetatable({}, WEAK_KEYS)
local NO_IDENTITY = {}

local function safe_identity(identity)
    local made = safe_identities[identity]
    if not made then
        made = {
            sub = safe(identity.sub) or json_null,
            client_id = safe(identity.client_id) or json_null,
            tenant = safe(identity.tenant) or json_null,
            claims_from = identity.claims_from or json_null,
        }
        safe_identities[identity] = made
    end
    return made
end

local function safe_route_id(route)
    if not route then
        return json_null
    end
    local value = route.value
    local made = safe_route_ids[value]
    if not made then
        made = safe(value.id) or json_null
        safe_route_ids[value] = made
    end
    return made
end


function _M.log(conf, ctx)
    ctx.gateway_decisions_conf = conf
    local o = outcome(ctx)
    local identity = safe_identity(ctx.gateway_decision and ctx.gateway_decision.identity or NO_IDENTITY)
    local now = ngx.now()
    write_line(conf.log_path, encode_safe_line({
        time = iso_time(now),
        route = safe_route_id(ctx.matched_route),
        method = ascii(ngx.req.get_method()),
        path = ascii(ctx.var.uri or ""),
        status = ngx.status,
        decision = o.decision,
        reason = o.reason,
        sub = identity.sub,
        client_id = identity.client_id,
        tenant = identity.tenant,
        claims_from = identity.claims_from,
        -- null when nginx tried more than once ("502, 200").
        upstream_status = tonumber(upstream_status_text(ctx)) or json_null,
        latency_ms = math.floor((now - ngx.req.start_time()) * 1000 + 0.5),
        request_id = request_id(ctx),
    }))
end


_M.reason_for = reason_for
_M.ALLOWING = ALLOWING
_M.token_reason = token_reason

return _M
