require("ngx_stub")
local cjson = require("cjson.safe")
local guard = require("apisix.plugins.gateway-key-guard")
local tokens = require("apisix.plugins.gateway-auth-verified-tokens")
local request = require("request")

-- ngx.shared dictionaries as openid-connect and the guard use them, on one clock (tick moves it).
local now = 0
local function tick(seconds) now = now + seconds end
local function dict()
  local data, expires = {}, {}
  local d = {}
  function d.get(_, k) if expires[k] and expires[k] <= now then data[k], expires[k] = nil, nil end return data[k] end
  function d.set(_, k, v, ttl) data[k] = v; expires[k] = (ttl and ttl > 0) and now + ttl or nil; return true end
  function d.add(self, k, v, ttl) if self:get(k) ~= nil then return false, "exists" end return self:set(k, v, ttl) end
  function d.delete(_, k) data[k], expires[k] = nil, nil end
  function d.ttl(self, k) if self:get(k) == nil then return nil, "not found" end return expires[k] and expires[k] - now or 0 end
  return d
end

local DISCOVERY = "http://kc/realms/shop/.well-known/openid-configuration"
local JWKS = "http://kc/realms/shop/protocol/openid-connect/certs"
local ISSUER = "http://kc/realms/shop"
local conf = { discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop", issuer = ISSUER }

local function b64url(t) return (ngx.encode_base64(t):gsub("+", "-"):gsub("/", "_"):gsub("=", "")) end
-- A token under `header`; its claims are the realm's (iss, exp ahead) unless `claims` replaces them.
local function token(header, claims)
  claims = claims or { sub = "x", iss = ISSUER, exp = ngx.time() + 300 }
  return "Bearer " .. b64url(cjson.encode(header)) .. "." .. b64url(cjson.encode(claims)) .. ".c2ln"
end
local function ctx(auth) return request.new({ Authorization = auth }) end
local function jwks(...) local keys = {} for _, kid in ipairs({ ... }) do keys[#keys + 1] = { kid = kid } end return cjson.encode({ keys = keys }) end

-- The identity provider as the guard's fetches see it: what it serves, and how often it was asked.
local served, fetches
local timers
guard.http_get = function(uri)
  fetches[uri] = (fetches[uri] or 0) + 1
  if served[uri] == nil then return nil, "connection refused" end
  return served[uri]
end

describe("gateway-key-guard", function()
  local limits
  before_each(function()
    now, served, fetches, timers = 0, { [DISCOVERY] = cjson.encode({ jwks_uri = JWKS }), [JWKS] = jwks("k1", "k2") }, {}, {}
    limits = dict()
    ngx.shared = { discovery = dict(), jwks = dict(), gateway_auth = limits }
    ngx.header = {}
    -- As ngx.timer.at: the handler gets `premature`, then the arguments given after it.
    ngx.timer = {
      at = function(_, fn, ...)
        local args, n = { ... }, select("#", ...)
        timers[#timers + 1] = function(premature) return fn(premature, unpack(args, 1, n)) end
        return true
      end,
    }
    ngx.shared.discovery:set(DISCOVERY, cjson.encode({ jwks_uri = JWKS }))
    ngx.shared.jwks:set(JWKS, jwks("k1", "k2"), conf.jwks_ttl)
  end)
  local function run_timers() for _, fn in ipairs(timers) do fn(false) end timers = {} end

  it("runs just before openid-connect", function()
    assert.equals(2600, guard.priority)
    assert.is_true(guard.check_schema({ discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop" }))
    assert.is_false((guard.check_schema({ discovery = DISCOVERY })))
  end)

  it("lets known keys through, whatever happens to unknown ones", function()
    for _ = 1, 3 do guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "zzz" }))) end
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k2" }))))
  end)

  it("an unknown kid: the first of an interval refetches the JWKS (and passes if the realm now publishes it), the rest get 401 invalid_token without a fetch", function()
    assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "attacker-1" })))))
    assert.equals(1, fetches[JWKS])
    local status = guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "attacker-2" })))
    assert.equals(401, status)
    assert.equals(1, fetches[JWKS])
    assert.equals('Bearer realm="shop", error="invalid_token"', ngx.header["WWW-Authenticate"])
    served[JWKS] = jwks("k1", "k2", "new-key-after-rotation")
    tick(11)
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "new-key-after-rotation" }))))
    assert.equals(2, fetches[JWKS])
  end)

  it("treats a kid-less token as unknown when the JWKS holds several keys, and as known when it holds one", function()
    assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256" })))))
    ngx.shared.jwks:set(JWKS, jwks("only"), 20)
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256" }))))
  end)

  it("stores what it fetched where openid-connect reads it, for jwks_ttl: openid-connect never fetches on its own", function()
    ngx.shared.jwks = dict()
    assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" }))))
    assert.same(cjson.decode(served[JWKS]), cjson.decode(ngx.shared.jwks:get(JWKS)))
    assert.equals(conf.jwks_ttl, ngx.shared.jwks:ttl(JWKS))
  end)

  it("refreshes the JWKS in a timer before it expires, once per gateway: steady traffic never meets an expired cache", function()
    tick(conf.jwks_ttl - 6)
    for _ = 1, 5 do assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" })))) end
    assert.equals(0, #timers) -- not due yet
    tick(2) -- within a quarter of jwks_ttl of its expiry
    for _ = 1, 5 do assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" })))) end
    assert.equals(1, #timers)
    served[JWKS] = jwks("k1")
    run_timers()
    assert.equals(1, fetches[JWKS])
    assert.equals(conf.jwks_ttl, ngx.shared.jwks:ttl(JWKS))
    -- k2 left the realm's JWKS: refused from now on (its one refetch finds it gone).
    assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k2" })))))
  end)

  describe("refuses, with 401 invalid_token, what openid-connect should never parse", function()
    local h, p = b64url('{"alg":"RS256","kid":"k1"}'), b64url('{"sub":"x"}')
    for _, bad in ipairs({
      "Bearer " .. h .. "." .. p .. ".c2ln.c2ln", -- an extra segment
      "Bearer " .. h .. "." .. p .. ".",          -- no signature
      "Bearer " .. h .. ".." .. p,                 -- an empty part
      "Bearer ....",
      "Bearer " .. h .. "." .. b64url("null") .. ".c2ln",
      "Bearer " .. h .. "." .. b64url("[1]") .. ".c2ln",
      "Bearer " .. b64url('{"kid":"k1"}') .. "." .. p .. ".c2ln",            -- no alg
      "Bearer " .. b64url('{"alg":"RS256","kid":7}') .. "." .. p .. ".c2ln", -- a kid that is not a string
      "Bearer " .. h .. "." .. p .. ".c2ln extra",
      "Bearer not-a-jwt", "Bearer", "", "Basic dXNlcjpwYXNz", "Token " .. h .. "." .. p .. ".c2ln",
    }) do
      it(("%q"):format(bad:sub(1, 40)), function()
        assert.equals(401, (guard.rewrite(conf, ctx(bad))))
        assert.equals('Bearer realm="shop", error="invalid_token"', ngx.header["WWW-Authenticate"])
      end)
    end
    it("a crit header (extensions the gateway does not understand, RFC 7515 4.1.11)", function()
      assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1", crit = { "exp" }, exp = 1 })))))
      assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1", crit = {} })))))
    end)
    it("but passes the scheme in any letter case", function()
      assert.is_nil(guard.rewrite(conf, ctx("bEaReR " .. h .. "." .. p .. ".c2ln")))
    end)
    it("answers a missing Authorization itself: 401, a challenge without an error code (RFC 6750 3.1), reason missing_token", function()
      local c = ctx(nil)
      assert.equals(401, (guard.rewrite(conf, c)))
      assert.equals('Bearer realm="shop"', ngx.header["WWW-Authenticate"])
      assert.same({ reason = "missing_token" }, c.gateway_decision)
    end)
  end)

  describe("refuses forged signatures before openid-connect (the cheap refusal)", function()
    local real = guard.rs256_valid
    local checked
    before_each(function()
      checked = {}
      -- Stands in for OpenSSL: a signature is "valid" when it is "c2ln" ("sig").
      guard.rs256_valid = function(jwk, input, signature) checked[#checked + 1] = { kid = jwk.kid, input = input }; return signature == "sig" end
    end)
    after_each(function() guard.rs256_valid = real end)

    it("checks the signature under the key the kid names, over header.payload, and refuses one that does not verify", function()
      local good = token({ alg = "RS256", kid = "k2" })
      assert.is_nil(guard.rewrite(conf, ctx(good)))
      assert.equals("k2", checked[1].kid)
      assert.equals(good:match("^Bearer (.-%..-)%."), checked[1].input)
      local forged = (good:gsub("%.c2ln$", ".Zm9yZ2Vk"))
      assert.equals(401, (guard.rewrite(conf, ctx(forged))))
      assert.equals('Bearer realm="shop", error="invalid_token"', ngx.header["WWW-Authenticate"])
    end)

    it("names the refusal invalid_token whatever the forged claims say, and logs it at info, not warn (a flood must not flood the error log)", function()
      local core = require("apisix.core")
      local before = #core.logged_at.warn
      local expired_forged = "Bearer " .. b64url(cjson.encode({ alg = "RS256", kid = "k1" })) .. "." .. b64url('{"sub":"x","exp":1,"iss":"elsewhere"}') .. ".Zm9yZ2Vk"
      for _, auth in ipairs({ expired_forged, token({ alg = "RS256", kid = "unknown-kid" }), "Bearer not.a.jwt" }) do
        local c = ctx(auth)
        assert.equals(401, (guard.rewrite(conf, c)), auth)
        assert.same({ reason = "invalid_token" }, c.gateway_decision, auth)
      end
      assert.equals(before, #core.logged_at.warn)
      assert.is_true(#core.logged_at.info >= 3)
      local good = ctx(token({ alg = "RS256", kid = "k1" }))
      assert.is_nil(guard.rewrite(conf, good))
      assert.is_nil(good.gateway_decision)
    end)

    describe("refuses, once the signature verifies, the claims openid-connect would refuse (and log per request)", function()
      local function refusal(claims)
        local c = ctx(token({ alg = "RS256", kid = "k1" }, claims))
        local status = guard.rewrite(conf, c)
        return status, c.gateway_decision and c.gateway_decision.reason
      end
      -- Times are taken when each case runs, not when busted loads the file: a second
      -- between the two (a loaded CI machine) would move "61 s ahead" inside the skew.
      local t = function(offset) return ngx.time() + offset end
      for _, case in ipairs({
        { "another issuer", function() return { sub = "x", iss = "http://kc/realms/other", exp = t(300) } end, "wrong_issuer" },
        { "no issuer", function() return { sub = "x", exp = t(300) } end, "wrong_issuer" },
        { "expired beyond the skew", function() return { sub = "x", iss = ISSUER, exp = t(-61) } end, "expired_token" },
        { "no exp", function() return { sub = "x", iss = ISSUER } end, "invalid_token" },
        { "an exp that is not a number", function() return { sub = "x", iss = ISSUER, exp = "9999999999" } end, "invalid_token" },
        { "nbf beyond the skew", function() return { sub = "x", iss = ISSUER, exp = t(300), nbf = t(61) } end, "invalid_token" },
      }) do
        it(case[1] .. ": " .. case[3], function()
          local status, reason = refusal(case[2]())
          assert.equals(401, status)
          assert.equals(case[3], reason)
          assert.equals('Bearer realm="shop", error="invalid_token"', ngx.header["WWW-Authenticate"])
        end)
      end
      it("but passes them within the clock skew", function()
        assert.is_nil(refusal({ sub = "x", iss = ISSUER, exp = t(-59), nbf = t(59) }))
      end)
      it("and names no claim of a token whose signature fails", function()
        local c = ctx((token({ alg = "RS256", kid = "k1" }, { sub = "x", iss = "elsewhere", exp = 1 }):gsub("%.c2ln$", ".Zm9yZ2Vk")))
        assert.equals(401, (guard.rewrite(conf, c)))
        assert.equals("invalid_token", c.gateway_decision.reason)
      end)
    end)

    it("answers every refusal through core.response.exit, never a returned status (APISIX logs a warning per returned status >= 400)", function()
      local core = require("apisix.core")
      local missing = #core.response.exited
      assert.equals(401, (guard.rewrite(conf, ctx(nil))))
      assert.equals(missing + 1, #core.response.exited)
      for _, auth in ipairs({ "Bearer not.a.jwt", token({ alg = "HS256", kid = "k1" }), token({ alg = "RS256", kid = "zz" }), (token({ alg = "RS256", kid = "k1" }):gsub("%.c2ln$", ".Zm9yZ2Vk")) }) do
        local before = #core.response.exited
        assert.equals(401, (guard.rewrite(conf, ctx(auth))))
        assert.equals(before + 1, #core.response.exited, tostring(auth))
      end
      local before = #core.response.exited
      assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" }))))
      assert.equals(before, #core.response.exited)
    end)

    it("refuses a forged signature, or an unknown kid, without decoding the payload (a flood's refusals stay cheap); a verified one's payload must be an object", function()
      local core = require("apisix.core")
      local decode = core.json.decode
      local payloads = 0
      core.json.decode = function(text) if text:find('"sub"', 1, true) then payloads = payloads + 1 end return decode(text) end
      local ok, err = pcall(function()
        local good = token({ alg = "RS256", kid = "k1" })
        assert.equals(401, (guard.rewrite(conf, ctx((good:gsub("%.c2ln$", ".Zm9yZ2Vk"))))))
        assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "not-published" })))))
        assert.equals(0, payloads)
        assert.is_nil(guard.rewrite(conf, ctx(good)))
        assert.equals(1, payloads)
        local not_an_object = "Bearer " .. b64url(cjson.encode({ alg = "RS256", kid = "k1" })) .. "." .. b64url('["sub"]') .. ".c2ln"
        local c = ctx(not_an_object)
        assert.equals(401, (guard.rewrite(conf, c)))
        assert.equals("invalid_token", c.gateway_decision.reason)
      end)
      core.json.decode = decode
      assert(ok, err)
    end)

    it("refuses any alg but RS256 (openid-connect accepts RS256 only)", function()
      for _, alg in ipairs({ "HS256", "none", "RS512", "PS256", "ES256" }) do
        assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = alg, kid = "k1" })))), alg)
      end
    end)

    it("leaves a key it cannot use to openid-connect (it does not refuse what it could not check)", function()
      guard.rs256_valid = function() return nil end
      assert.is_nil(guard.rewrite(conf, ctx((token({ alg = "RS256", kid = "k1" }):gsub("%.c2ln$", ".dW5jaGVja2Vk")))))
    end)

    describe("a replayed forged token", function()
      local n = 0
      -- A forged header no earlier test sent (the memory is the worker's, across requests).
      local function forged(kid)
        n = n + 1
        return (token({ alg = "RS256", kid = kid }, { sub = "replay-" .. n, iss = ISSUER, exp = ngx.time() + 300 }):gsub("%.c2ln$", ".Zm9yZ2Vk"))
      end
      local function refused(auth)
        local c = ctx(auth)
        local status = guard.rewrite(conf, c)
        return status == 401 and c.gateway_decision.reason == "invalid_token" and ngx.header["WWW-Authenticate"] == 'Bearer realm="shop", error="invalid_token"'
      end

      it("is refused again without another signature check, while the realm's keys stay the same", function()
        local auth = forged("k1")
        assert.is_true(refused(auth))
        assert.equals(1, #checked)
        for _ = 1, 5 do assert.is_true(refused(auth)) end
        assert.equals(1, #checked)
        -- Another header (one byte of the payload) is checked.
        assert.is_true(refused(forged("k1")))
        assert.equals(2, #checked)
      end)

      it("is checked afresh once the JWKS changed (the memory belongs to the key set it was judged by)", function()
        local auth = forged("k1")
        assert.is_true(refused(auth))
        ngx.shared.jwks:set(JWKS, cjson.encode({ keys = { { kid = "k1", n = "rotated" }, { kid = "k2" } } }), conf.jwks_ttl)
        -- Under the new document, a signature that now verifies is let through.
        guard.rs256_valid = function(jwk, input) checked[#checked + 1] = { kid = jwk.kid, input = input }; return jwk.n == "rotated" end
        assert.is_nil(guard.rewrite(conf, ctx(auth)))
        assert.equals(2, #checked)
      end)

      it("is refused as an unknown key once the kid left the JWKS", function()
        local auth = forged("k2")
        assert.is_true(refused(auth))
        ngx.shared.jwks:set(JWKS, jwks("k1"), conf.jwks_ttl)
        tick(conf.refetch_interval)
        served[JWKS] = jwks("k1")
        assert.is_true(refused(auth))
        assert.equals(1, #checked)
      end)

      it("belongs to one realm: the same header is checked under another realm's keys", function()
        local auth = forged("k1")
        assert.is_true(refused(auth))
        local other = "http://kc/realms/other/.well-known/openid-configuration"
        local other_jwks = "http://kc/realms/other/protocol/openid-connect/certs"
        ngx.shared.discovery:set(other, cjson.encode({ jwks_uri = other_jwks }))
        ngx.shared.jwks:set(other_jwks, jwks("k1"), conf.jwks_ttl)
        guard.rs256_valid = function(jwk, input) checked[#checked + 1] = { kid = jwk.kid, input = input }; return true end
        local other_conf = { discovery = other, refetch_interval = 10, jwks_ttl = 20, realm = "other" }
        assert.is_nil(guard.rewrite(other_conf, ctx(auth)))
        assert.equals(2, #checked)
      end)

      it("takes no digest in a realm no forgery has reached (a valid token pays no SHA-1), and one for its first forgery", function()
        local fresh = "http://kc/realms/fresh/.well-known/openid-configuration"
        local fresh_jwks = "http://kc/realms/fresh/protocol/openid-connect/certs"
        ngx.shared.discovery:set(fresh, cjson.encode({ jwks_uri = fresh_jwks }))
        ngx.shared.jwks:set(fresh_jwks, jwks("k1"), conf.jwks_ttl)
        local fresh_conf = { discovery = fresh, refetch_interval = 10, jwks_ttl = 20, realm = "fresh" }
        local digests = 0
        local real_digest = guard.header_digest
        guard.header_digest = function(data) digests = digests + 1; return real_digest(data) end
        local ok, err = pcall(function()
          guard.rs256_valid = function() return true end
          assert.is_nil(guard.rewrite(fresh_conf, ctx(forged("k1"))))
          assert.equals(0, digests)
          guard.rs256_valid = function() return false end
          assert.equals(401, guard.rewrite(fresh_conf, ctx(forged("k1"))))
          assert.equals(1, digests)
        end)
        guard.header_digest = real_digest
        assert(ok, err)
      end)

      it("only a failed signature is remembered: a token refused for its claims is judged again (an nbf ahead becomes valid)", function()
        guard.rs256_valid = function(jwk, input) checked[#checked + 1] = { kid = jwk.kid, input = input }; return true end
        local early = token({ alg = "RS256", kid = "k1" }, { sub = "early", iss = ISSUER, exp = ngx.time() + 600, nbf = ngx.time() + 120 })
        assert.is_true(refused(early))
        local real_time = ngx.time
        ngx.time = function() return real_time() + 120 end
        local ok, err = pcall(function() assert.is_nil(guard.rewrite(conf, ctx(early))) end)
        ngx.time = real_time
        assert(ok, err)
        assert.equals(2, #checked)
      end)

      it("remembers at most 1024 headers per realm (the least recently refused go first), whatever their length", function()
        local sent = {}
        for i = 1, 1025 do sent[i] = forged("k1"); refused(sent[i]) end
        local before = #checked
        assert.is_true(refused(sent[1025]))
        assert.is_true(refused(sent[2]))
        assert.equals(before, #checked)
        assert.is_true(refused(sent[1]))
        assert.equals(before + 1, #checked)
        local long = (token({ alg = "RS256", kid = "k1" }, { sub = ("x"):rep(8000), iss = ISSUER, exp = ngx.time() + 300 }):gsub("%.c2ln$", ".Zm9yZ2Vk"))
        assert.is_true(refused(long))
        assert.is_true(refused(long))
        assert.equals(before + 2, #checked)
      end)

      -- LuaJIT hashes a long string from a few sampled bytes: forged headers
      -- that differ in their middle collide in its string table, and kept
      -- alive as keys they would make every such header's interning walk
      -- them all. The memory keys a header by its digest instead.
      it("keys a header by its SHA-1, never by the header itself (an attacker's headers are not kept alive)", function()
        local digests = {}
        local real_digest = guard.header_digest
        guard.header_digest = function(data) digests[#digests + 1] = data; return "same-digest-for-all!" end
        local ok, err = pcall(function()
          assert.is_true(refused(forged("k1")))
          local checks = #checked
          -- Another header with the same digest is that forgery's replay: never verified.
          assert.is_true(refused(forged("k1")))
          assert.equals(checks, #checked)
        end)
        guard.header_digest = real_digest
        assert(ok, err)
        assert.is_true(#digests >= 2)
      end)
    end)
  end)

  describe("while nothing is cached (cold gateway, or the JWKS expired)", function()
    after_each(function() _G.ngx_test_on_sleep = nil end)

    it("one request fetches the keys itself; the others wait for it and are judged by what it cached", function()
      ngx.shared.jwks = dict()
      local waits = 0
      _G.ngx_test_on_sleep = function()
        waits = waits + 1
        if waits == 3 then ngx.shared.jwks:set(JWKS, jwks("k1"), 20) end
      end
      limits:add("fetch:" .. DISCOVERY, true, 3) -- another request is fetching
      assert.is_nil(guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" }))))
      assert.equals(3, waits)
      assert.is_nil(fetches[JWKS])
    end)

    it("a cold gateway with nothing cached fetches discovery and keys once", function()
      ngx.shared.discovery, ngx.shared.jwks = dict(), dict()
      served[DISCOVERY .. "?cold"] = served[DISCOVERY]
      assert.is_nil(guard.rewrite({ discovery = DISCOVERY .. "?cold", refetch_interval = 10, jwks_ttl = 20, realm = "shop" }, ctx(token({ alg = "RS256", kid = "k1" }))))
      assert.same({ 1, 1 }, { fetches[DISCOVERY .. "?cold"], fetches[JWKS] })
      -- Cached where openid-connect reads it: it does not fetch the discovery document again.
      assert.same(cjson.decode(served[DISCOVERY]), cjson.decode(ngx.shared.discovery:get(DISCOVERY .. "?cold")))
    end)

    it("refuses when the keys cannot be fetched, and a waiter gives up after a bound", function()
      ngx.shared.jwks = dict()
      served[JWKS] = nil
      assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" })))))
      limits:add("fetch:" .. DISCOVERY, true, 3)
      assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "k1" })))))
    end)
  end)

  describe("while the realm cannot be reached (the outage policy)", function()
    local outage = { discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop", keys_stale_if_unreachable = 30 }
    local function k1() return guard.rewrite(outage, ctx(token({ alg = "RS256", kid = "k1" }))) end

    before_each(function()
      -- A fetch that succeeded: the keys are known, and kept as the last known ones.
      ngx.shared.jwks = dict()
      assert.is_nil(k1())
      served[JWKS] = nil -- then the realm goes away
    end)

    it("keeps the last known keys past their expiry, one refetch attempt per refresh window, then fails closed at the bound", function()
      local seen = {}
      for second = 1, 60 do
        tick(1)
        seen[second] = k1() or 200
        run_timers()
      end
      -- Fetched at 0 (ttl 20), kept until 20 + 30: served through second 50, refused after.
      for second = 1, 49 do assert.equals(200, seen[second], "second " .. second) end
      for second = 50, 60 do assert.equals(401, seen[second], "second " .. second) end
      assert.is_true(fetches[JWKS] <= 1 + 60 / 5 + 2, "fetches: " .. fetches[JWKS])
    end)

    it("recovers without a restart when the realm is back; a key it retired is refused, and the next outage keeps the new keys", function()
      tick(25)
      assert.is_nil(k1()) -- the last known keys, 5 s past their expiry
      served[JWKS] = jwks("k1", "k3")
      tick(21)
      assert.is_nil(k1()) -- fetched again: the realm is back
      served[JWKS] = jwks("k3")
      tick(21)
      assert.equals(401, (k1())) -- retired by a fetch that succeeded: never revived
      served[JWKS] = nil
      tick(25)
      assert.is_nil(guard.rewrite(outage, ctx(token({ alg = "RS256", kid = "k3" }))))
      assert.equals(401, (k1()))
    end)

    it("fails closed at once without a bound (keys_stale_if_unreachable 0, the plugin's default)", function()
      ngx.shared.jwks, ngx.shared.gateway_auth = dict(), dict()
      served[JWKS] = jwks("k1")
      local strict = { discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop" }
      assert.is_nil(guard.rewrite(strict, ctx(token({ alg = "RS256", kid = "k1" }))))
      served[JWKS] = nil
      tick(21)
      assert.equals(401, (guard.rewrite(strict, ctx(token({ alg = "RS256", kid = "k1" })))))
    end)
  end)

  describe("the verified-token fast path", function()
    local fast = { discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop", verified_tokens = { ttl = 60, size = 100 } }
    local clock, serial = 1000000, 0
    local real_time, real_now = ngx.time, ngx.now
    before_each(function()
      ngx.time = function() return clock end
      ngx.now = ngx.time
    end)
    after_each(function() ngx.time, ngx.now = real_time, real_now end)

    -- A token nobody has seen (a fresh subject each time), expiring `life` seconds
    -- from now; its signature, like a real one, differs from every other token's.
    local function fresh(life, kid)
      serial = serial + 1
      local header = { alg = "RS256", kid = kid or "k1" }
      local bytes = {}
      for i = 1, 32 do bytes[i] = string.char((serial * 7919 + i * i * 104729) % 251) end
      local signature = b64url(table.concat(bytes))
      return "Bearer " .. b64url(cjson.encode(header)) .. "." .. b64url(cjson.encode({ sub = "s" .. serial, exp = clock + (life or 3600) })) .. "." .. signature
    end
    -- Whether APISIX's plugin runner would skip openid-connect for this request (plugin.skip_plugin).
    local function oidc_skipped(c) return c._skip_plugins ~= nil and c._skip_plugins["openid-connect"] == true end

    -- What the slow path does: the guard passes it on, openid-connect verifies it, gateway-identity remembers it.
    local function verify(auth, claims)
      local c = ctx(auth)
      assert.is_nil(guard.rewrite(fast, c))
      assert.is_false(oidc_skipped(c))
      tokens.remember(c, auth, claims or { sub = "x", exp = clock + 3600 }, "dXNlcmluZm8=")
      return c
    end

    it("a token verified once is answered from memory next time: openid-connect is skipped for the request, and the claims are in ctx", function()
      local auth = fresh()
      verify(auth, { sub = "alice", exp = clock + 3600 })
      local c = ctx(auth)
      assert.is_nil(guard.rewrite(fast, c))
      assert.is_true(oidc_skipped(c))
      assert.equals("alice", c.gateway_verified_token.claims.sub)
      assert.equals("dXNlcmluZm8=", c.gateway_verified_token.userinfo)
    end)

    it("only that exact Authorization header: another token, or the same one altered, takes the full path", function()
      local auth = fresh()
      verify(auth)
      for _, other in ipairs({ fresh(), auth .. "x", auth:gsub("^Bearer", "bearer"), auth:sub(1, -2) .. (auth:sub(-1) == "A" and "B" or "A") }) do
        local c = ctx(other)
        guard.rewrite(fast, c)
        assert.is_false(oidc_skipped(c), other)
      end
    end)

    it("remembers nothing a caller could choose: only the header this plugin read before openid-connect ran", function()
      local auth = fresh()
      local c = ctx(auth)
      guard.rewrite(fast, c)
      local forged = fresh()
      tokens.remember(c, forged, { sub = "x", exp = clock + 3600 }, "")
      local later = ctx(forged)
      guard.rewrite(fast, later)
      assert.is_false(oidc_skipped(later))
      -- Nor for a request the guard never saw (no candidate in ctx).
      local unseen = fresh()
      tokens.remember(ctx(unseen), unseen, { sub = "x", exp = clock + 3600 }, "")
      local again = ctx(unseen)
      guard.rewrite(fast, again)
      assert.is_false(oidc_skipped(again))
    end)

    it("forgets a token at its exp (no slack), and any token after the ttl", function()
      local short, long = fresh(30), fresh(3600)
      verify(short, { sub = "x", exp = clock + 30 })
      verify(long, { sub = "y", exp = clock + 3600 })
      clock = clock + 29
      local c = ctx(short); guard.rewrite(fast, c); assert.is_true(oidc_skipped(c))
      clock = clock + 1
      c = ctx(short); guard.rewrite(fast, c); assert.is_false(oidc_skipped(c))
      c = ctx(long); guard.rewrite(fast, c); assert.is_true(oidc_skipped(c))
      clock = clock + 31 -- 61 s after it was remembered: past the 60 s ttl
      c = ctx(long); guard.rewrite(fast, c); assert.is_false(oidc_skipped(c))
    end)

    it("never remembers an expired token, or one without exp", function()
      local expired, timeless = fresh(), fresh()
      verify(expired, { sub = "x", exp = clock })
      verify(timeless, { sub = "x" })
      for _, auth in ipairs({ expired, timeless }) do
        local c = ctx(auth); guard.rewrite(fast, c); assert.is_false(oidc_skipped(c))
      end
    end)

    it("a remembered token whose key the cached JWKS no longer holds takes the full path within a second, and meets the unknown-key budget", function()
      local auth = fresh(3600, "k2")
      verify(auth)
      local warm = ctx(auth)
      guard.rewrite(fast, warm) -- k2 known: the verdict is reused for a second
      assert.is_true(oidc_skipped(warm))
      ngx.shared.jwks:set(JWKS, jwks("k1"), 20) -- k2 retired: the refreshed JWKS lacks it
      served[JWKS] = jwks("k1")
      local soon = ctx(auth)
      guard.rewrite(fast, soon)
      assert.is_true(oidc_skipped(soon))
      clock = clock + 1
      local c = ctx(auth)
      assert.equals(401, (guard.rewrite(fast, c))) -- the interval's one refetch finds it gone
      assert.is_false(oidc_skipped(c))
      assert.equals(401, (guard.rewrite(fast, ctx(auth))))
    end)

    it("is off with size 0: nothing remembered, every request takes the full path", function()
      local off = { discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop", verified_tokens = { ttl = 60, size = 0 } }
      local auth = fresh()
      local c = ctx(auth)
      guard.rewrite(off, c)
      assert.is_nil(c.gateway_auth_candidate)
      tokens.remember(c, auth, { sub = "x", exp = clock + 3600 }, "")
      local again = ctx(auth)
      guard.rewrite(off, again)
      assert.is_false(oidc_skipped(again))
    end)

    describe("the level shared by the workers", function()
      local shared_conf = { discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop", verified_tokens = { ttl = 60, size = 100, shared = true } }
      local function other_worker()
        -- Another worker: its own memory (the fast path's module) is empty, the shared dict is the same.
        package.loaded["apisix.plugins.gateway-key-guard"] = nil
        package.loaded["apisix.plugins.gateway-auth-verified-tokens"] = nil
        local fresh_guard = require("apisix.plugins.gateway-key-guard")
        fresh_guard.http_get = guard.http_get
        package.loaded["apisix.plugins.gateway-auth-verified-tokens"] = tokens
        return fresh_guard
      end
      -- Whether `worker` answers `auth` from its own memory: the shared level forgets it first.
      local function kept_by(worker, conf_, auth)
        local text = ngx.shared.gateway_verified_tokens:get(auth)
        ngx.shared.gateway_verified_tokens:delete(auth)
        local c = ctx(auth)
        worker.rewrite(conf_, c)
        if text then ngx.shared.gateway_verified_tokens:set(auth, text, 30) end
        return oidc_skipped(c)
      end
      before_each(function()
        ngx.shared.gateway_verified_tokens = dict()
        ngx.shared.gateway_verified_tokens.ttl = function(self, k) if self:get(k) == nil then return nil end return 30 end
      end)

      it("a token one worker verified is answered by another from the shared level, with its claims, and its key still checked", function()
        local auth = fresh()
        local c = ctx(auth)
        assert.is_nil(guard.rewrite(shared_conf, c))
        tokens.remember(c, auth, { sub = "alice", exp = clock + 3600 }, nil)
        local worker2 = other_worker()
        local c2 = ctx(auth)
        assert.is_nil(worker2.rewrite(shared_conf, c2))
        assert.is_true(oidc_skipped(c2))
        assert.equals("alice", c2.gateway_verified_token.claims.sub)
        -- Its key leaves the JWKS: the shared entry no longer answers (the key check comes first).
        ngx.shared.jwks:set(JWKS, jwks("k2"), 20)
        served[JWKS] = jwks("k2")
        clock = clock + 2
        local worker3 = other_worker()
        assert.equals(401, (worker3.rewrite(shared_conf, ctx(auth))))
      end)

      it("a worker keeps what the shared level answers while it has room; once full, only a token asked for again", function()
        local small = { discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop", verified_tokens = { ttl = 60, size = 2, shared = true } }
        local users = {}
        for u = 1, 4 do
          users[u] = fresh()
          local c = ctx(users[u])
          guard.rewrite(small, c)
          tokens.remember(c, users[u], { sub = "user-" .. u, exp = clock + 3600 }, nil)
        end
        local worker2 = other_worker()
        for u = 1, 3 do
          local c = ctx(users[u])
          assert.is_nil(worker2.rewrite(small, c))
          assert.is_true(oidc_skipped(c), "user " .. u .. " answered from the shared level")
        end
        -- Room for two: users 1 and 2 moved in; user 3, asked for once while full, did not displace them.
        assert.is_true(kept_by(worker2, small, users[1]))
        assert.is_true(kept_by(worker2, small, users[2]))
        assert.is_false(kept_by(worker2, small, users[3]))
        -- Asked for twice, a token moves in (the least recently used one leaves).
        worker2.rewrite(small, ctx(users[4]))
        assert.is_false(kept_by(worker2, small, users[4]))
        worker2.rewrite(small, ctx(users[4]))
        assert.is_true(kept_by(worker2, small, users[4]))
      end)

      it("stores an entry whose last bytes are its token's, whatever its claims (the runtime's string hash reads the last 8)", function()
        local seen = {}
        for u = 1, 50 do
          -- Entries of one length whose claims differ only in the middle, as a realm's UUID subs make them.
          local auth = fresh()
          local c = ctx(auth)
          guard.rewrite(shared_conf, c)
          tokens.remember(c, auth, { sub = string.format("user-%04d", u), exp = clock + 3600, aud = "api-gateway" }, nil)
          local text = ngx.shared.gateway_verified_tokens:get(auth)
          local last = text:sub(-8)
          assert.is_nil(seen[last], "entries " .. tostring(seen[last]) .. " and " .. u .. " end alike")
          seen[last] = u
          assert.equals(auth:sub(-6), last:sub(1, 6))
        end
      end)

      it("nothing enters it but what this worker verified (the same rules as its own memory)", function()
        local auth = fresh()
        local c = ctx(auth)
        guard.rewrite(shared_conf, c)
        local forged = fresh()
        tokens.remember(c, forged, { sub = "x", exp = clock + 3600 }, nil)
        assert.is_nil(ngx.shared.gateway_verified_tokens:get(forged))
        assert.is_nil(ngx.shared.gateway_verified_tokens:get(auth))
      end)

      it("keeps tokens too large for a worker's memory (bounded in bytes there), and off by default", function()
        local big = "Bearer " .. b64url(cjson.encode({ alg = "RS256", kid = "k1" })) .. "." .. b64url(cjson.encode({ sub = "big", exp = clock + 3600, pad = ("r"):rep(6000) })) .. ".c2ln"
        local c = ctx(big)
        guard.rewrite(shared_conf, c)
        tokens.remember(c, big, { sub = "big", exp = clock + 3600 }, nil)
        assert.is_string(ngx.shared.gateway_verified_tokens:get(big))
        local again = ctx(big)
        guard.rewrite(shared_conf, again)
        assert.is_true(oidc_skipped(again))
        local plain = fresh()
        local p = ctx(plain)
        guard.rewrite(fast, p)
        tokens.remember(p, plain, { sub = "x", exp = clock + 3600 }, nil)
        assert.is_nil(ngx.shared.gateway_verified_tokens:get(plain))
      end)
    end)

    it("checks its settings", function()
      assert.is_false((guard.check_schema({ discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop", verified_tokens = { ttl = 60 } })))
      assert.is_false((guard.check_schema({ discovery = DISCOVERY, refetch_interval = 10, jwks_ttl = 20, realm = "shop", verified_tokens = { ttl = 60, size = 1, extra = true } })))
    end)
  end)

  it("fails closed without its shared dict", function()
    ngx.shared.gateway_auth = nil
    assert.equals(401, (guard.rewrite(conf, ctx(token({ alg = "RS256", kid = "attacker" })))))
  end)
end)
