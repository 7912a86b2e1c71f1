require("ngx_stub")
local cjson = require("cjson.safe")
local guard = require("apisix.plugins.gateway-key-guard")
local request = require("request")

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
local function ctx(auth) return request.new({ Authorization = auth }) end

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

  describe("the verified-token fast path", function()
    local core = require("apisix.core")
    local fast = { discovery = DISCOVERY, refetch_interval = 10, realm = "shop", verified_tokens = { ttl = 60, size = 100 } }
    local clock, serial = 1000000, 0
    local time, now = ngx.time, ngx.now
    before_each(function()
      ngx.time = function() return clock end
      ngx.now = ngx.time
    end)
    after_each(function() ngx.time, ngx.now = time, now end)

    -- A token nobody has seen (a fresh subject each time), expiring `life` seconds from now.
    local function fresh(life, kid)
      serial = serial + 1
      local header = { alg = "RS256", kid = kid or "k1" }
      return "Bearer " .. b64url(cjson.encode(header)) .. "." .. b64url(cjson.encode({ sub = "s" .. serial, exp = clock + (life or 3600) })) .. ".c2ln"
    end
    local verified_var = function(c) return core.registered_vars.gateway_token_verified(c) end

    -- What the slow path does: the guard passes it on, openid-connect verifies it, gateway-identity remembers it.
    local function verify(auth, claims)
      local c = ctx(auth)
      assert.is_nil(guard.rewrite(fast, c))
      assert.is_nil(verified_var(c))
      guard.remember_verified(c, auth, claims or { sub = "x", exp = clock + 3600 }, "dXNlcmluZm8=")
      return c
    end

    it("a token verified once is answered from memory next time: openid-connect's filter variable says yes, and the claims are in ctx", function()
      local auth = fresh()
      verify(auth, { sub = "alice", exp = clock + 3600 })
      local c = ctx(auth)
      assert.is_nil(guard.rewrite(fast, c))
      assert.equals("yes", verified_var(c))
      assert.equals("alice", c.gateway_verified_token.claims.sub)
      assert.equals("dXNlcmluZm8=", c.gateway_verified_token.userinfo)
    end)

    it("only that exact Authorization header: another token, or the same one altered, takes the full path", function()
      local auth = fresh()
      verify(auth)
      for _, other in ipairs({ fresh(), auth .. "x", auth:gsub("^Bearer", "bearer"), (auth:gsub("c2ln$", "c2lm")) }) do
        local c = ctx(other)
        guard.rewrite(fast, c)
        assert.is_nil(verified_var(c), other)
      end
    end)

    it("remembers nothing a caller could choose: only the header this plugin read before openid-connect ran", function()
      local auth = fresh()
      local c = ctx(auth)
      guard.rewrite(fast, c)
      local forged = fresh()
      guard.remember_verified(c, forged, { sub = "x", exp = clock + 3600 }, "")
      local later = ctx(forged)
      guard.rewrite(fast, later)
      assert.is_nil(verified_var(later))
      -- Nor for a request the guard never saw (no candidate in ctx).
      local unseen = fresh()
      guard.remember_verified(ctx(unseen), unseen, { sub = "x", exp = clock + 3600 }, "")
      local again = ctx(unseen)
      guard.rewrite(fast, again)
      assert.is_nil(verified_var(again))
    end)

    it("forgets a token at its exp (no slack), and any token after the ttl", function()
      local short, long = fresh(30), fresh(3600)
      verify(short, { sub = "x", exp = clock + 30 })
      verify(long, { sub = "y", exp = clock + 3600 })
      clock = clock + 29
      local c = ctx(short); guard.rewrite(fast, c); assert.equals("yes", verified_var(c))
      clock = clock + 1
      c = ctx(short); guard.rewrite(fast, c); assert.is_nil(verified_var(c))
      c = ctx(long); guard.rewrite(fast, c); assert.equals("yes", verified_var(c))
      clock = clock + 31 -- 61 s after it was remembered: past the 60 s ttl
      c = ctx(long); guard.rewrite(fast, c); assert.is_nil(verified_var(c))
    end)

    it("never remembers an expired token, or one without exp", function()
      local expired, timeless = fresh(), fresh()
      verify(expired, { sub = "x", exp = clock })
      verify(timeless, { sub = "x" })
      for _, auth in ipairs({ expired, timeless }) do
        local c = ctx(auth); guard.rewrite(fast, c); assert.is_nil(verified_var(c))
      end
    end)

    it("a remembered token whose key the cached JWKS no longer holds takes the full path within a second, and meets the unknown-key budget", function()
      local auth = fresh(3600, "k2")
      verify(auth)
      local warm = ctx(auth)
      guard.rewrite(fast, warm) -- k2 known: the verdict is reused for a second
      assert.equals("yes", verified_var(warm))
      ngx.shared.jwks:set(JWKS, cjson.encode({ keys = { { kid = "k1" } } })) -- k2 retired
      local soon = ctx(auth)
      guard.rewrite(fast, soon)
      assert.equals("yes", verified_var(soon))
      clock = clock + 1
      local c = ctx(auth)
      assert.is_nil(guard.rewrite(fast, c)) -- the interval's one refetch
      assert.is_nil(verified_var(c))
      assert.equals(401, (guard.rewrite(fast, ctx(auth))))
    end)

    it("is off with size 0: nothing remembered, every request takes the full path", function()
      local off = { discovery = DISCOVERY, refetch_interval = 10, realm = "shop", verified_tokens = { ttl = 60, size = 0 } }
      local auth = fresh()
      local c = ctx(auth)
      guard.rewrite(off, c)
      assert.is_nil(c.gateway_auth_candidate)
      guard.remember_verified(c, auth, { sub = "x", exp = clock + 3600 }, "")
      local again = ctx(auth)
      guard.rewrite(off, again)
      assert.is_nil(verified_var(again))
    end)

    it("checks its settings", function()
      assert.is_false((guard.check_schema({ discovery = DISCOVERY, refetch_interval = 10, realm = "shop", verified_tokens = { ttl = 60 } })))
      assert.is_false((guard.check_schema({ discovery = DISCOVERY, refetch_interval = 10, realm = "shop", verified_tokens = { ttl = 60, size = 1, extra = true } })))
    end)
  end)

  it("fails closed without its shared dict", function()
    ngx.shared.gateway_auth = nil
    assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "attacker" })))))
  end)
end)
