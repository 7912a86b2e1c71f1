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

local function ctx_for(route_labels, var, decision)
  return { matched_route = route_labels and { value = { id = "orders.0.rule0", labels = route_labels } } or nil, var = var or {}, gateway_decision = decision }
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
    it("allowed, public, handled_at_gateway for what went on", function()
      assert.equals("allowed", plugin.reason_for(conf, ctx_for({ access = "protected" }, { upstream_status = "200" }, { reason = "allowed" }), 200))
      assert.equals("public", plugin.reason_for(conf, ctx_for({ access = "public" }, { upstream_status = "200" }), 200))
      assert.equals("handled_at_gateway", plugin.reason_for(conf, ctx_for({ access = "gateway" }), 204))
    end)
    it("gateway_error when an allowed request failed at the gateway (a rate-limit store that is down)", function()
      assert.equals("gateway_error", plugin.reason_for(conf, ctx_for({ access = "protected" }, {}, { reason = "allowed" }), 500))
    end)
  end)
end)
