--
-- gateway-request-guard: what reaches a service is what the gateway judged
-- (a global rule, before every route plugin). It removes headers the gateway
-- vouches for or consumes (by name and pattern), credentials and session
-- cookies where they do not belong, and refuses (400) method overrides,
-- dot-segment path parameters and sign-in callbacks no sign-in of this
-- browser can answer.
-- docs: docs/request-pipeline.md ("How a request is decided", step 2).
--
local core = require("apisix.core")
local helpers = require("apisix.plugins.gateway-auth-helpers")
local without_cookies = helpers.without_cookies
local ngx = ngx
local type = type
local pairs = pairs
local ipairs = ipairs
local tonumber = tonumber
local char = string.char
local concat = table.concat

local plugin_name = "gateway-request-guard"

local string_list = { type = "array", items = { type = "string", minLength = 1 }, default = {} }

local schema = {
    type = "object",
    properties = {
        -- Lower-case header names removed from every request.
        strip_headers = string_list,
        -- Lua patterns on lower-case header names, removed from every request.
        strip_header_patterns = string_list,
        -- Names a pattern would match that stay (anti-CSRF tokens are not credentials).
        keep_headers = string_list,
        -- Method/path override headers, removed unless the route allows overrides.
        override_headers = string_list,
        -- Parameter names (lower case, after decoding) frameworks read as a method override.
        override_keys = string_list,
        -- Every browser app's session cookie name.
        session_cookies = string_list,
    },
    required = { "strip_headers", "override_headers", "override_keys" },
    additionalProperties = false,
}

local _M = {
    version = 0.1,
    -- Right after gateway-decisions (12100), before every route plugin.
    priority = 12050,
    name = plugin_name,
    schema = schema,
}


function _M.check_schema(conf)
    return core.schema.check(schema, conf)
end


local function set_of(list)
    local set = {}
    for _, item in ipairs(list or {}) do
        set[item] = true
    end
    return set
end

-- Per conf table: sets built once (a reloaded config brings new tables).
local compiled = setmetatable({}, { __mode = "k" })

local function compile(conf)
    local c = compiled[conf]
    if not c then
        c = {
            strip = set_of(conf.strip_headers),
            keep = set_of(conf.keep_headers),
            patterns = conf.strip_header_patterns or {},
            overrides = set_of(conf.override_headers),
            override_keys = set_of(conf.override_keys),
            cookies = conf.session_cookies or {},
            -- lower-case header name -> what to do with it (header_class)
            classes = {},
            class_count = 0,
        }
        compiled[conf] = c
    end
    return c
end


---------------------------------------------------------------------------
-- Decoding as frameworks decode
---------------------------------------------------------------------------

local function hex_byte(h)
    return char(tonumber(h, 16))
end

-- %uXXXX (IIS, classic ASP.NET): ASCII only; anything else cannot spell an override.
local function percent_u(h)
    local n = tonumber(h, 16)
    return n < 128 and char(n) or "?"
end

-- One pass of form decoding: "+" is a space, %XX a byte, %uXXXX a character.
local function form_decode(text)
    return (text:gsub("+", " "):gsub("%%[uU](%x%x%x%x)", percent_u):gsub("%%(%x%x)", hex_byte))
end

-- The names a parameter key can take in some framework: decoded once and
-- twice; as is, cut at NUL, cut at its first "[" (Rails, PHP and qs arrays),
-- and with PHP's name mangling (leading spaces dropped; ".", " " and an
-- unclosed "[" become "_"); trimmed, lower case.
local function key_spellings(raw)
    local out = {}
    local once = form_decode(raw)
    for _, decoded in ipairs({ once, form_decode(once) }) do
        local name = decoded:match("^[^%z]*")
        local php = name:gsub("^%s+", ""):gsub("[%. ]", "_")
        local php_unclosed = php:gsub("%[", "_")
        for _, candidate in ipairs({ name, name:match("^[^%[]*"), php, php:match("^[^%[]*"), php_unclosed }) do
            out[#out + 1] = candidate:match("^%s*(.-)%s*$"):lower()
        end
    end
    return out
end

local function is_override_key(keys, raw)
    for _, name in ipairs(key_spellings(raw)) do
        if keys[name] then
            return true
        end
    end
    return false
end
_M.is_override_key = is_override_key


-- Keys longer than this are refused as overrides: no form needs one, and a
-- key is buffered until its end is seen.
local MAX_KEY = 4096

-- Scans urlencoded text (a query string, a form body) chunk by chunk for an
-- override key. Pairs end at "&" or ";" (some frameworks split on both).
-- feed(chunk, last) returns true as soon as an override key is seen.
local function urlencoded_scanner(keys)
    local carry, in_value = "", false
    return function(chunk, last)
        local text = carry .. chunk
        carry = ""
        local pos = 1
        while true do
            if in_value then
                local sep = text:find("[&;]", pos)
                if not sep then
                    return false
                end
                in_value, pos = false, sep + 1
            else
                local stop = text:find("[&;=]", pos)
                if not stop then
                    carry = text:sub(pos)
                    if #carry > MAX_KEY then
                        return true
                    end
                    return last and carry ~= "" and is_override_key(keys, carry) or false
                end
                if stop - pos > MAX_KEY or is_override_key(keys, text:sub(pos, stop - 1)) then
                    return true
                end
                in_value, pos = text:sub(stop, stop) == "=", stop + 1
            end
        end
    end
end
_M.urlencoded_scanner = urlencoded_scanner


-- RFC 2231/5987 `name*=utf-8''%5Fmethod`, quoted or not, backslash escapes.
local function disposition_names(block)
    local names = {}
    for star, value in block:gmatch("name%s*(%*?)%s*=%s*([^;\r\n]*)") do
        value = value:gsub('^%s*"', ""):gsub('"%s*$', ""):gsub("\\(.)", "%1")
        if star == "*" then
            value = value:gsub("^[%w%-_]*'[%w%-]*'", "")
        end
        names[#names + 1] = value
    end
    return names
end

-- A part header block is at most this long after "content-disposition".
local MAX_DISPOSITION = 2048

-- Scans a multipart body chunk by chunk: every Content-Disposition (in any
-- letter case, folded or not) whose name spells an override key. Text in a
-- file part that looks like such a header is refused too (fail closed).
local function multipart_scanner(keys)
    local tail = ""
    return function(chunk, last)
        local text = tail .. chunk:lower()
        local pos = 1
        while true do
            local at = text:find("content-disposition", pos, true)
            if not at then
                break
            end
            local block_end = text:find("\r?\n\r?\n", at) or (#text + 1)
            if block_end - at > MAX_DISPOSITION then
                block_end = at + MAX_DISPOSITION
            end
            if block_end > #text and not last then
                break -- the block continues in the next chunk
            end
            for _, name in ipairs(disposition_names(text:sub(at, block_end - 1))) do
                if is_override_key(keys, name) then
                    return true
                end
            end
            pos = block_end
        end
        -- Keep what may hold the start of an unfinished block.
        local keep_from = math.max(pos, #text - MAX_DISPOSITION - 32)
        tail = text:sub(keep_from)
        return false
    end
end
_M.multipart_scanner = multipart_scanner


-- Whether a JSON body's top-level object has an override key (Laravel reads
-- JSON input as parameters).
local function json_overrides(keys, body)
    local decoded = core.json.decode(body)
    if type(decoded) ~= "table" then
        return false
    end
    for key in pairs(decoded) do
        if type(key) == "string" and is_override_key(keys, key) then
            return true
        end
    end
    return false
end
_M.json_overrides = json_overrides


local CHUNK = 65536
-- JSON bodies are decoded only up to this size (in memory, as nginx buffered them).
local MAX_JSON = 1048576

-- The scanner for a body's content type, or nil for bodies no framework reads as parameters.
local function body_kind(content_type)
    if type(content_type) == "table" then
        content_type = concat(content_type, ",")
    end
    if type(content_type) ~= "string" then
        return nil
    end
    local ct = content_type:lower()
    if ct:find("multipart", 1, true) then
        return "multipart"
    end
    if ct:find("urlencoded", 1, true) or ct:find("form", 1, true) then
        return "urlencoded"
    end
    if ct:find("json", 1, true) then
        return "json"
    end
    return nil
end


-- Feeds the request body to a scanner: from memory, or from nginx's buffer
-- file in CHUNK-sized reads (memory stays bounded whatever the body size).
local function body_has_override(keys, kind)
    ngx.req.read_body()
    local data = ngx.req.get_body_data()
    if kind == "json" then
        return data ~= nil and #data <= MAX_JSON and json_overrides(keys, data)
    end
    local feed = kind == "multipart" and multipart_scanner(keys) or urlencoded_scanner(keys)
    if data then
        return feed(data, true)
    end
    local path = ngx.req.get_body_file()
    local file = path and io.open(path, "rb")
    if not file then
        return false
    end
    while true do
        local chunk = file:read(CHUNK)
        if not chunk then
            file:close()
            return feed("", true)
        end
        if feed(chunk, false) then
            file:close()
            return true
        end
    end
end


-- Query strings without "%", "method" or ";"/"&" tricks are common: a plain
-- find settles most of them without decoding.
local function query_has_override(keys, args)
    if type(args) ~= "string" or args == "" then
        return false
    end
    local lower = args:lower()
    if not lower:find("%", 1, true) and not lower:find("method", 1, true) then
        return false
    end
    return urlencoded_scanner(keys)(args, true)
end


---------------------------------------------------------------------------
-- Paths
---------------------------------------------------------------------------

-- A segment that is "." or ".." once decoded and cut at its ";" parameters
-- (Tomcat and Jetty resolve /a/..;/b as /b; nginx routes it under /a/).
local function has_dot_segment_parameter(raw_uri)
    local path = raw_uri:match("^[^?#]*")
    if not path:find(";", 1, true) and not path:find("%", 1, true) then
        return false
    end
    local decoded = path:gsub("%%(%x%x)", hex_byte)
    decoded = decoded:gsub("%%(%x%x)", hex_byte)
    for segment in decoded:gmatch("[^/\\]+") do
        local name = segment:match("^([^;]*)")
        if segment:find(";", 1, true) and (name == "." or name == "..") then
            return true
        end
    end
    return false
end
_M.has_dot_segment_parameter = has_dot_segment_parameter


---------------------------------------------------------------------------
-- Headers and cookies
---------------------------------------------------------------------------

-- Clears a request header, and ctx.var's cached copy of it.
local function clear_header(ctx, name)
    ngx.req.clear_header(name)
    ctx.var["http_" .. name:lower():gsub("-", "_")] = nil
end


-- Whether a (lower-case) header name is one the gateway removes from every request.
local function stripped(c, name)
    if c.strip[name] then
        return true
    end
    if c.keep[name] then
        return false
    end
    for _, pattern in ipairs(c.patterns) do
        if name:find(pattern) then
            return true
        end
    end
    return false
end
_M.stripped = function(conf, name) return stripped(compile(conf), name) end




-- What the guard does with a header, by its lower-case name: decided once
-- per name and worker (the pattern scan was a tenth of a request's Lua
-- time), in a table bounded by MEMO_LIMIT (a client sending ever new names
-- only costs the scan again, never a wrong answer).
local STRIP, CREDENTIAL, OVERRIDE, COOKIE, PASS = "strip", "credential", "override", "cookie", "pass"
local MEMO_LIMIT = 512

local function header_class(c, name)
    local class = c.classes[name]
    if class then
        return class
    end
    if stripped(c, name) then
        class = STRIP
    elseif name == "authorization" or name == "proxy-authorization" then
        class = CREDENTIAL
    elseif c.overrides[name] then
        class = OVERRIDE
    elseif name == "cookie" then
        class = COOKIE
    else
        class = PASS
    end
    if c.class_count >= MEMO_LIMIT then
        c.classes, c.class_count = {}, 0
    end
    c.classes[name] = class
    c.class_count = c.class_count + 1
    return class
end
-- As nginx hands names to Lua: lower-cased.
_M.header_class = function(conf, raw_name) return header_class(compile(conf), raw_name:lower()) end


local function strip_headers(c, ctx, labels)
    local protected = labels.access == "protected"
    local overrides_allowed = labels.override == "allowed"
    -- 0: every header, however many (a limit would let the 101st through).
    -- Names lower-cased by nginx, not as sent: the same strings APISIX's
    -- core.request.headers makes, so each name becomes one Lua string per
    -- request, not up to three (as sent, lower-cased here, APISIX's). Every
    -- string made walks LuaJIT's hash chain of those that hash alike, which
    -- a client can fill (docs/operations.md, String-hash flooding).
    local headers = ngx.req.get_headers(0)
    for name, value in pairs(headers) do
        local class = header_class(c, name)
        if class == STRIP or (class == CREDENTIAL and not protected) or (class == OVERRIDE and not overrides_allowed) then
            clear_header(ctx, name)
        elseif class == COOKIE and #c.cookies > 0 and labels.session ~= "true" then
            local joined = type(value) == "table" and concat(value, "; ") or value
            for _, cookie in ipairs(c.cookies) do
                if joined:find(cookie, 1, true) then
                    ngx.req.set_header("Cookie", without_cookies(joined, c.cookies))
                    ctx.var.http_cookie = nil
                    break
                end
            end
        end
    end
end


---------------------------------------------------------------------------
-- Sign-in callbacks
---------------------------------------------------------------------------

-- The state a sign-in callback must carry: one the session issued (as
-- lua-resty-openidc 1.9 keeps them: authorization_states, or the legacy state).
local function issued_state(session, state)
    local states = session:get("authorization_states")
    if type(states) == "table" and states[state] then
        return true
    end
    return session:get("state") == state
end

-- Session options of the callback route's openid-connect, with the secret read from the environment.
local session_opts_of = setmetatable({}, { __mode = "k" })

local function session_opts(oidc)
    local opts = session_opts_of[oidc]
    if not opts then
        opts = core.table and core.table.deepcopy and core.table.deepcopy(oidc.session) or {}
        local env = type(opts.secret) == "string" and opts.secret:match("^%$env://(.+)$")
        if env then
            opts.secret = os.getenv(env)
        end
        session_opts_of[oidc] = opts
    end
    return opts
end

local function sign_in_in_progress(ctx)
    local route = ctx.matched_route.value
    local oidc = route.plugins and route.plugins["openid-connect"]
    local args = ngx.req.get_uri_args(0)
    local state, code = args.state, args.code
    if type(state) ~= "string" or state == "" or type(code) ~= "string" or code == "" then
        return false
    end
    if not oidc or type(oidc.session) ~= "table" then
        return true -- nothing to check against: openid-connect decides
    end
    local ok, session, _, exists = pcall(require("resty.session").open, session_opts(oidc))
    if not ok or not session or not exists then
        return false
    end
    return issued_state(session, state)
end


---------------------------------------------------------------------------
-- The phase
---------------------------------------------------------------------------

local function refuse(ctx, status, reason)
    ctx.gateway_decision = { reason = reason }
    return status, { error = reason }
end

local NO_LABELS = {}

local function screen(conf, ctx)
    local c = compile(conf)
    local route = ctx.matched_route
    local labels = route and route.value.labels or NO_LABELS

    strip_headers(c, ctx, labels)

    local raw_uri = ctx.var.real_request_uri or ctx.var.request_uri or ""
    if has_dot_segment_parameter(raw_uri) then
        return refuse(ctx, 400, "unsafe_path")
    end

    if labels.override ~= "allowed" and route then
        if query_has_override(c.override_keys, ctx.var.args) then
            return refuse(ctx, 400, "method_override_refused")
        end
        local kind = body_kind(ngx.var.http_content_type)
        if kind and body_has_override(c.override_keys, kind) then
            return refuse(ctx, 400, "method_override_refused")
        end
    end

    if labels.sign_in == "callback" and not sign_in_in_progress(ctx) then
        return refuse(ctx, 400, "no_sign_in_in_progress")
    end
end


function _M.rewrite(conf, ctx)
    return helpers.answer(screen(conf, ctx))
end


return _M
