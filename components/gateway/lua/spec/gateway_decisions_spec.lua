require("ngx_stub")
local cjson = require("cjson.safe")
local core = require("apisix.core")
local plugin = require("apisix.plugins.gateway-decisions")

local conf = { log_path = "/dev/null", issuer = "https://auth.example.com/realms/shop", audience = "api-gateway" }
assert(plugin.check_schema(conf))

local function b64url(text)
  return (ngx.encode_base64(text):gsub("+", "-"):gsub("/", "_"):gsub("=", ""))
end

-- A bearer token whose payload is `claims` (the signature is never looked at here).
local function bearer(claims)
  return "Bearer " .. b64url('{"alg":"RS256"}') .. "." .. b64url(cjson.encode(claims)) .. ".c2ln"
end

-- `var`: nginx's variables as ngx.var gives them (strings, "-" for a phase
-- never reached); ctx.var, APISIX's view of the same, gets them too.
local function ctx_for(route_labels, var, decision)
  ngx.var = var or {}
  return { matched_route = route_labels and { value = { id = "orders.api_orders_all.get", labels = route_labels } } or nil, var = var or {}, gateway_decision = decision }
end

local FAR = 4102444800

describe("gateway-decisions", function()
  it("runs before every other plugin and registers the Prometheus label variables", function()
    assert.is_true(plugin.priority > 12000)
    assert.is_function(core.registered_vars.gateway_decision)
    assert.is_function(core.registered_vars.gateway_reason)
  end)

  describe("names why openid-connect refused a token (its 401 says nothing more)", function()
    local function reason(authorization)
      return plugin.token_reason(conf, { var = { http_authorization = authorization } })
    end
    it("missing_token without an Authorization header", function()
      assert.equals("missing_token", reason(nil))
    end)
    it("expired_token when exp has passed", function()
      assert.equals("expired_token", reason(bearer({ iss = conf.issuer, aud = "api-gateway", exp = 1000 })))
    end)
    it("wrong_issuer for another realm's token", function()
      assert.equals("wrong_issuer", reason(bearer({ iss = "https://evil.example/realms/shop", aud = "api-gateway", exp = FAR })))
    end)
    it("wrong_audience for a token of another client", function()
      assert.equals("wrong_audience", reason(bearer({ iss = conf.issuer, aud = { "account" }, exp = FAR })))
    end)
    it("invalid_token for anything else: a bad signature or key, garbage, another scheme", function()
      assert.equals("invalid_token", reason(bearer({ iss = conf.issuer, aud = "api-gateway", exp = FAR })))
      assert.equals("invalid_token", reason("Bearer not.a-token"))
      assert.equals("invalid_token", reason("Basic YTpi"))
    end)
  end)

  describe("classifies every outcome into one reason", function()
    it("no_route when nothing matched", function()
      assert.equals("no_route", plugin.reason_for(conf, ctx_for(nil), 404))
    end)
    it("rate_limited for a 429, even after gateway-identity allowed the caller", function()
      assert.equals("rate_limited", plugin.reason_for(conf, ctx_for({ access = "protected" }, {}, { reason = "allowed" }), 429))
    end)
    it("the route's refusal for the gateway's own answers", function()
      assert.equals("method_not_allowed", plugin.reason_for(conf, ctx_for({ access = "gateway", refusal = "method_not_allowed" }), 405))
    end)
    it("gateway-identity's reason when it refused", function()
      assert.equals("role_missing", plugin.reason_for(conf, ctx_for({ access = "protected" }, {}, { reason = "role_missing" }), 403))
    end)
    it("session_required for a browser-app route without a session", function()
      assert.equals("session_required", plugin.reason_for(conf, ctx_for({ access = "protected", session = "true" }), 302))
      assert.equals("session_required", plugin.reason_for(conf, ctx_for({ access = "protected", session = "true" }), 401))
    end)
    it("sign_in_unavailable for the gateway's own 503 on a browser-app route (the realm unreachable), not a service's", function()
      assert.equals("sign_in_unavailable", plugin.reason_for(conf, ctx_for({ access = "protected", session = "true" }), 503))
      assert.equals("sign_in_unavailable", plugin.reason_for(conf, ctx_for({ access = "gateway", session = "true" }), 503))
      assert.equals("allowed", plugin.reason_for(conf, ctx_for({ access = "protected", session = "true" }, { upstream_status = 503, upstream_header_time = 0.01 }, { reason = "allowed" }), 503))
    end)
    it("allowed, public, handled_at_gateway for what went on", function()
      local answered = { upstream_status = "200", upstream_connect_time = "0.001", upstream_header_time = "0.002" }
      assert.equals("allowed", plugin.reason_for(conf, ctx_for({ access = "protected" }, answered, { reason = "allowed" }), 200))
      assert.equals("public", plugin.reason_for(conf, ctx_for({ access = "public" }, answered), 200))
      assert.equals("handled_at_gateway", plugin.reason_for(conf, ctx_for({ access = "gateway" }), 204))
    end)
    describe("names how a service failed an allowed request (nginx's record of the exchange)", function()
      local allowed = { reason = "allowed" }
      local function outcome(var, status, labels)
        local decided = allowed
        if labels then decided = nil end -- a public route: nobody decided on a caller
        return plugin.reason_for(conf, ctx_for(labels or { access = "protected" }, var, decided), status)
      end
      it("upstream_unreachable: never connected (refused, no route, TLS handshake refused)", function()
        assert.equals("upstream_unreachable", outcome({ upstream_status = "502", upstream_connect_time = "-", upstream_header_time = "-" }, 502))
        -- A variable nginx never set reads as nil, an empty one as "": both mean "-"
        assert.equals("upstream_unreachable", outcome({ upstream_status = "502" }, 502))
        assert.equals("upstream_unreachable", outcome({ upstream_status = "502", upstream_connect_time = "", upstream_header_time = "" }, 502))
        assert.equals("upstream_reset", outcome({ upstream_status = "502", upstream_connect_time = "0.017" }, 502))
        assert.equals("upstream_reset", outcome({ upstream_status = "200", upstream_connect_time = "0.01", upstream_header_time = "0.02", upstream_http_content_length = "100000", upstream_response_length = "1000" }, 200))
        assert.equals("allowed", outcome({ upstream_status = "200", upstream_connect_time = "0.01", upstream_header_time = "0.02", upstream_http_content_length = "5", upstream_response_length = "5" }, 200))
      end)
      it("upstream_timeout: no answer within the timeouts, connected or not", function()
        assert.equals("upstream_timeout", outcome({ upstream_status = "504", upstream_connect_time = "0.001", upstream_header_time = "-" }, 504))
        assert.equals("upstream_timeout", outcome({ upstream_status = "504", upstream_connect_time = "-", upstream_header_time = "-" }, 504))
      end)
      it("upstream_reset: connected, then closed before a header, or before the body it announced", function()
        assert.equals("upstream_reset", outcome({ upstream_status = "502", upstream_connect_time = "0.002", upstream_header_time = "-" }, 502))
        assert.equals("upstream_reset", outcome({ upstream_status = "200", upstream_connect_time = "0.002", upstream_header_time = "0.003", upstream_http_content_length = "100000", upstream_response_length = "1000" }, 200))
        assert.equals("upstream_reset", outcome({ upstream_status = "200", upstream_header_time = "0.003", upstream_http_content_length = "10", upstream_response_length = "0" }, 200, { access = "public" }))
      end)
      it("the last try counts when nginx lists several", function()
        assert.equals("upstream_timeout", outcome({ upstream_status = "502, 504", upstream_connect_time = "-, 0.001", upstream_header_time = "-, -" }, 504))
        assert.equals("allowed", outcome({ upstream_status = "502, 200", upstream_connect_time = "-, 0.001", upstream_header_time = "-, 0.002" }, 200))
      end)
      it("a service's own 502/504, a whole body, a HEAD or a 304 are the service's answer", function()
        assert.equals("allowed", outcome({ upstream_status = "502", upstream_connect_time = "0.001", upstream_header_time = "0.002" }, 502))
        assert.equals("allowed", outcome({ upstream_status = "504", upstream_header_time = "0.002", upstream_http_content_length = "5", upstream_response_length = "5" }, 504))
        assert.equals("allowed", outcome({ upstream_status = "304", upstream_header_time = "0.002", upstream_http_content_length = "50", upstream_response_length = "0" }, 304))
        _G.ngx_test_method = "HEAD"
        assert.equals("public", outcome({ upstream_status = "200", upstream_header_time = "0.002", upstream_http_content_length = "50", upstream_response_length = "0" }, 200, { access = "public" }))
        _G.ngx_test_method = nil
      end)
      it("and they still count as allowed", function()
        assert.is_true(plugin.ALLOWING.upstream_reset and plugin.ALLOWING.upstream_timeout and plugin.ALLOWING.upstream_unreachable)
        assert.is_nil(plugin.ALLOWING.gateway_error)
      end)
    end)
    it("gateway_error when an allowed request failed at the gateway (a rate-limit store that is down)", function()
      assert.equals("gateway_error", plugin.reason_for(conf, ctx_for({ access = "protected" }, {}, { reason = "allowed" }), 500))
    end)
  end)

  describe("encode_line: one JSON line per decision, whatever a caller put in a path or a claim", function()
    local LIMITS = { path = 1024, route = 128, method = 32, sub = 256, client_id = 256, tenant = 256 }
    local FIELDS = { "time", "route", "method", "path", "status", "decision", "reason", "sub", "client_id", "tenant", "claims_from", "upstream_status", "latency_ms", "request_id" }

    local function record(overrides)
      local r = {
        time = "2026-12-07T18:00:00.123Z", route = "orders.api_orders_all.get", method = "GET", path = "/api/orders/7",
        status = 200, decision = "allow", reason = "allowed", sub = "3f6c-user", client_id = "caller-viewer", tenant = "acme",
        claims_from = "fast-path", upstream_status = 200, latency_ms = 3, request_id = "b5258c3095a64facc15b9acb7f78f8ad",
      }
      for k, v in pairs(overrides or {}) do r[k] = v end
      return r
    end

    -- What the log promises for a string field, written independently of the plugin:
    -- non-ASCII bytes percent-encoded, then cut to the field's limit with "..." and the length recorded.
    local function expected(value, limit)
      local text = value:gsub("[\128-\255]", function(c) return string.format("%%%02X", c:byte()) end)
      if #text > limit then return text:sub(1, limit) .. "...", #text end
      return text, nil
    end

    local function check_line(line, r)
      assert.is_nil(line:find("[%z\1-\31\128-\255]"), "a raw control or non-ASCII byte in the line")
      assert.is_true(#line <= 4000, "longer than one atomic write: " .. #line)
      local decoded = assert(cjson.decode(line), "not JSON: " .. line)
      for _, field in ipairs(FIELDS) do
        assert.is_not_nil(decoded[field], field .. " missing from " .. line)
      end
      for key in pairs(decoded) do
        assert.is_true(key == "truncated" or r[key] ~= nil, "unexpected field " .. key)
      end
      return decoded
    end

    it("writes the usual record as it is, nulls included", function()
      local r = record()
      assert.same(record(), cjson.decode(plugin.encode_line(r)))
      local refused = { status = 401, decision = "deny", reason = "missing_token", sub = cjson.null,
        client_id = cjson.null, tenant = cjson.null, claims_from = cjson.null, upstream_status = cjson.null }
      assert.same(record(refused), cjson.decode(plugin.encode_line(record(refused))))
    end)

    it("keeps every byte value, at every place in every string field, inside one valid line", function()
      local cases = 0
      for _, field in ipairs({ "path", "sub", "client_id", "tenant", "route", "method" }) do
        for byte = 0, 255 do
          for _, at in ipairs({ "start", "middle", "end" }) do
            local c = string.char(byte)
            local base = field == "path" and "/api/orders/x" or "value"
            local value = at == "start" and c .. base or at == "end" and base .. c or base:sub(1, 3) .. c .. base:sub(4)
            local r = record({ [field] = value })
            local decoded = check_line(plugin.encode_line(r), record({ [field] = value }))
            assert.equals((expected(value, LIMITS[field])), decoded[field], field .. " with byte " .. byte)
            cases = cases + 1
          end
        end
      end
      assert.equals(6 * 256 * 3, cases)
    end)

    it("cuts a field at its limit, and only past it, naming what it cut", function()
      for field, limit in pairs(LIMITS) do
        for _, n in ipairs({ limit - 1, limit, limit + 1, limit * 3 }) do
          for _, fill in ipairs({ "a", "\"", "\195\169" }) do
            local value = string.rep(fill, math.ceil(n / #fill)):sub(1, n)
            local decoded = check_line(plugin.encode_line(record({ [field] = value })), record({ [field] = value }))
            local want, cut = expected(value, limit)
            if #decoded[field] < #want then
              -- the whole line would pass 4000 bytes: the long fields were cut harder
              assert.is_true(want:sub(1, #decoded[field] - 3) .. "..." == decoded[field], field)
            else
              assert.equals(want, decoded[field], field .. " of " .. n)
            end
            assert.equals(cut, decoded.truncated and decoded.truncated[field], field .. " of " .. n .. " (" .. fill .. ")")
          end
        end
      end
    end)

    it("stays one line under 4000 bytes with every field at its worst at once", function()
      local worst = string.rep("\"\n\255", 2000)
      local r = record({ path = worst, sub = worst, client_id = worst, tenant = worst, route = worst, method = worst })
      local decoded = check_line(plugin.encode_line(r), record({ path = worst, sub = worst, client_id = worst, tenant = worst, route = worst, method = worst }))
      assert.equals(#expected(worst, 10 ^ 9), decoded.truncated.path)
    end)

    describe("log: what a request's line says, however often its identity and route came before", function()
      local path = os.tmpname()
      local log_conf = { log_path = path, issuer = conf.issuer, audience = conf.audience }
      local function logged(ctx)
        local file = io.open(path, "w")
        file:close()
        ngx.status, ngx.req.start_time, ngx.utctime = 200, function() return 0 end, function() return "2026-12-08 01:00:00" end
        plugin.log(log_conf, ctx)
        local text = io.open(path):read("*a")
        assert.equals(1, select(2, text:gsub("\n", "")), "one line: " .. text)
        return check_line(text:sub(1, -2), setmetatable({ truncated = true }, { __index = function() return true end }))
      end
      local function request(identity, route_id, uri)
        ngx.var = { request_id = "r1", upstream_status = "200" }
        return { var = { uri = uri }, matched_route = route_id and { value = { id = route_id, labels = {} } } or nil,
          gateway_decision = identity and { reason = "allowed", identity = identity } or nil }
      end

      it("the same identity and route tables, shared by requests, give the same safe line each time", function()
        local identity = { sub = "caf\195\169-\"user\"", client_id = "viewer", tenant = "t\255", claims_from = "fast-path" }
        local route = "orders.\200api"
        for _ = 1, 3 do
          local line = logged(request(identity, route, "/api/\226\130\172"))
          assert.equals("caf%C3%A9-\"user\"", line.sub)
          assert.equals("t%FF", line.tenant)
          assert.equals("viewer", line.client_id)
          assert.equals("orders.%C8api", line.route)
          assert.equals("/api/%E2%82%AC", line.path)
        end
      end)

      it("another identity table (a new view) is read afresh, not taken for the first", function()
        for i = 1, 50 do
          local sub = string.rep("\233", i % 3) .. "user-" .. i
          local line = logged(request({ sub = sub, tenant = i % 2 == 0 and ("t" .. i) or nil }, "r" .. (i % 4), "/p/" .. i))
          assert.equals((expected(sub, LIMITS.sub)), line.sub)
          assert.equals(i % 2 == 0 and ("t" .. i) or cjson.null, line.tenant)
          assert.equals(cjson.null, line.client_id)
          assert.equals("r" .. (i % 4), line.route)
        end
      end)

      it("reads $request_id and $upstream_status from nginx once per request; the header, the response and the line agree", function()
        for _, case in ipairs({ { upstream = "200", reason = "allowed" }, { upstream = "502", reason = "upstream_unreachable" },
          { upstream = nil, reason = "gateway_error", status = 500 } }) do
          local reads = {}
          local answered = case.upstream == "200" and "0.001" or "-"
          local values = { request_id = "id-" .. tostring(case.upstream), upstream_status = case.upstream,
            upstream_header_time = answered, upstream_connect_time = answered }
          local ctx = request({ sub = "u" }, "r", "/x")
          ctx.headers = {}
          ctx.gateway_decision.reason = "allowed"
          ngx.var = setmetatable({}, { __index = function(_, name)
            reads[name] = (reads[name] or 0) + 1
            return values[name]
          end })
          plugin.rewrite(log_conf, ctx)
          ngx.status = case.status or (case.upstream == "502" and 502 or 200)
          plugin.header_filter(log_conf, ctx)
          local status = ngx.status
          local file = io.open(path, "w")
          file:close()
          plugin.log(log_conf, ctx)
          ngx.status = status
          local line = cjson.decode(io.open(path):read("*a"))
          assert.equals(values.request_id, ctx.headers["x-request-id"])
          assert.equals(values.request_id, ngx.header["X-Request-Id"])
          assert.equals(values.request_id, line.request_id)
          assert.equals(case.reason, line.reason)
          assert.equals(tonumber(case.upstream) or cjson.null, line.upstream_status)
          assert.equals(1, reads.request_id, "$request_id reads")
          assert.equals(1, reads.upstream_status, "$upstream_status reads")
        end
      end)

      it("nulls without an identity or a route, and a sub cut to its limit", function()
        local line = logged(request(nil, nil, "/nowhere"))
        assert.equals(cjson.null, line.sub)
        assert.equals(cjson.null, line.route)
        assert.equals(cjson.null, line.claims_from)
        local long = string.rep("\255", 300)
        line = logged(request({ sub = long }, "r", "/x"))
        assert.equals((expected(long, LIMITS.sub)), line.sub)
        assert.equals(#expected(long, 10 ^ 9), line.truncated.sub)
      end)
    end)

    it("writes a claim that is not a string (a number, a list) as JSON, not as text", function()
      local decoded = check_line(plugin.encode_line(record({ tenant = 42, sub = { "a", "b" } })), record({ tenant = 42, sub = {} }))
      assert.equals(42, decoded.tenant)
      assert.same({ "a", "b" }, decoded.sub)
    end)
  end)
end)
