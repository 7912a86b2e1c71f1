require("ngx_stub")
local cjson = require("cjson.safe")
local guard = require("apisix.plugins.gateway-key-guard")

-- ngx.shared dictionaries as openid-connect and the guard use them.
local function dict()
  local data, expires = {}, {}
  local now = 0
  return {
    get = function(_, k) if expires[k] and expires[k] <= now then data[k] = nil end return data[k] end,
    set = function(_, k, v) data[k] = v end,
    add = function(self, k, v, ttl) if self:get(k) ~= nil then return false, "exists" end data[k] = v; expires[k] = ttl and now + ttl or nil; return true end,
    tick = function(_, seconds) now = now + seconds end,
  }
end

local DISCOVERY = "http://kc/realms/shop/.well-known/openid-configuration"
local JWKS = "http://kc/realms/shop/protocol/openid-connect/certs"
local conf = { discovery = DISCOVERY, refetch_interval = 10, realm = "shop" }

local function b64url(t) return (ngx.encode_base64(t):gsub("+", "-"):gsub("/", "_"):gsub("=", "")) end
local function token(header) return "Bearer " .. b64url(cjson.encode(header)) .. "." .. b64url('{"sub":"x"}') .. ".c2ln" end
local function ctx(auth) return { headers = { authorization = auth } } end

describe("gateway-key-guard", function()
  local limits
  before_each(function()
    limits = dict()
    ngx.shared = { discovery = dict(), jwks = dict(), gateway_auth = limits }
    ngx.header = {}
    ngx.shared.discovery:set(DISCOVERY, cjson.encode({ jwks_uri = JWKS }))
    ngx.shared.jwks:set(JWKS, cjson.encode({ keys = { { kid = "k1" }, { kid = "k2" } } }))
  end)

  it("runs just before openid-connect", function()
    assert.equals(2600, guard.priority)
    assert.is_true(guard.check_schema({ discovery = DISCOVERY, refetch_interval = 10, realm = "shop" }))
    assert.is_false((guard.check_schema({ discovery = DISCOVERY })))
  end)

  it("lets known keys through, whatever happens to unknown ones", function()
    for _ = 1, 3 do guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "zzz" }))) end
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k2" }))))
  end)

  it("lets the first unknown-key token of an interval refetch, refuses the rest with 401 invalid_token", function()
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "attacker-1" }))))
    local status = guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "attacker-2" })))
    assert.equals(401, status)
    assert.equals('Bearer realm="shop", error="invalid_token"', ngx.header["WWW-Authenticate"])
    limits:tick(11)
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "new-key-after-rotation" }))))
  end)

  it("treats a kid-less token as unknown when the JWKS holds several keys, and as known when it holds one", function()
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256" }))))
    assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256" })))))
    ngx.shared.jwks:set(JWKS, cjson.encode({ keys = { { kid = "only" } } }))
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256" }))))
  end)

  it("knows a key by the PEM openid-connect derived, even without the JWKS document", function()
    ngx.shared.jwks = dict()
    ngx.shared.jwks:set(JWKS .. "#k9", "-----BEGIN PUBLIC KEY-----")
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k9" }))))
  end)

  describe("while nothing is cached (cold gateway, or the JWKS just expired)", function()
    after_each(function() _G.ngx_test_on_sleep = nil end)

    it("lets one request fetch; the next waits, and is judged by what that fetch cached", function()
      ngx.shared.jwks = dict()
      assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" }))))
      local waits = 0
      _G.ngx_test_on_sleep = function()
        waits = waits + 1
        if waits == 3 then ngx.shared.jwks:set(JWKS, cjson.encode({ keys = { { kid = "k1" } } })) end
      end
      assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" }))))
      assert.equals(3, waits)
    end)

    it("a burst under unknown keys: one fetches, the waiters then meet the unknown-key budget", function()
      ngx.shared.jwks = dict()
      assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "a1" }))))
      _G.ngx_test_on_sleep = function() ngx.shared.jwks:set(JWKS, cjson.encode({ keys = { { kid = "k1" } } })) end
      assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "a2" })))) -- the interval's one refetch
      assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "a3" })))))
    end)

    it("lets a kid tokens were verified under through at once (their verifications are cached: no fetch would come)", function()
      ngx.shared.jwks = dict()
      guard.record_verified("k1")
      assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "other" })))) -- takes the fetch lock
      local waits = 0
      _G.ngx_test_on_sleep = function() waits = waits + 1 end
      for _ = 1, 5 do assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" })))) end
      assert.equals(0, waits)
    end)

    it("records a kid in the shared dict once a minute per worker, not per request", function()
      local writes = 0
      local set = limits.set
      limits.set = function(self, k, v, ttl) writes = writes + 1; return set(self, k, v, ttl) end
      for _ = 1, 5 do guard.record_verified("busy-kid") end
      assert.equals(1, writes)
      assert.is_true(limits:get("verified-kid:busy-kid"))
    end)

    it("but a verified kid the cached JWKS no longer holds (retired, or forged under it) meets the budget", function()
      guard.record_verified("retired")
      assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "retired" }))))
      assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "retired" })))))
    end)

    it("refuses after waiting when the keys cannot be fetched in time", function()
      ngx.shared.jwks = dict()
      assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" }))))
      assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" })))))
    end)
  end)

  it("leaves requests without a JWT to openid-connect", function()
    assert.is_nil(guard.rewrite(conf, ctx(nil)))
    assert.is_nil(guard.rewrite(conf, ctx("Bearer not-a-jwt")))
    assert.is_nil(guard.rewrite(conf, ctx("Basic dXNlcjpwYXNz")))
  end)

  it("fails closed without its shared dict", function()
    ngx.shared.gateway_auth = nil
    assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "attacker" })))))
  end)
end)
