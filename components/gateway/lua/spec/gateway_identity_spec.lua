require("ngx_stub")
local cjson = require("cjson.safe")
local core = require("apisix.core")
local plugin = require("apisix.plugins.gateway-identity")
local request = require("request")

local function conf(overrides)
  local c = {
    known_roles = { "viewer", "writer", "admin" },
    allow_roles = { "viewer", "admin" },
    audience = "api-gateway",
    realm = "shop",
    tenant_claim = "tenant_id",
    claim_headers = { { claim = "email", header = "X-User-Email" } },
  }
  for k, v in pairs(overrides or {}) do c[k] = v end
  assert(plugin.check_schema(c))
  return c
end

local function userinfo(claims)
  return ngx.encode_base64(cjson.encode(claims))
end

-- A request as the plugin sees it after openid-connect: verified claims in X-Userinfo.
local function ctx_with(headers)
  return request.new(headers)
end

local FAR = 4102444800 -- 2100-01-01: tokens in these specs have not expired
local alice = { sub = "user-1", aud = "api-gateway", exp = FAR, tenant_id = "acme", email = "a@example.com", email_verified = true, realm_access = { roles = { "admin", "offline_access", "viewer" } } }
-- The claims every valid token carries, with `extra` on top.
local function valid(extra)
  local c = { sub = "user-2", aud = { "api-gateway", "account" }, exp = FAR }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

describe("gateway-identity", function()
  it("declares what APISIX requires of a plugin, below openid-connect's priority", function()
    assert.equals("gateway-identity", plugin.name)
    assert.is_number(plugin.version)
    assert.is_true(plugin.priority < 2599 and plugin.priority > 2410)
    assert.is_table(plugin.schema)
  end)

  it("answers every refusal through core.response.exit, and logs a caller's token problem at info (APISIX warns per returned status >= 400)", function()
    local warned = #core.logged_at.warn
    for _, case in ipairs({
      { 401, { aud = "elsewhere" } },
      { 401, { exp = 1 } },
      { 403, { realm_access = { roles = { "writer" } } } },
    }) do
      local before = #core.response.exited
      assert.equals(case[1], (plugin.rewrite(conf(), ctx_with({ ["X-Userinfo"] = userinfo(valid(case[2])) }))))
      assert.equals(before + 1, #core.response.exited)
    end
    assert.equals(warned, #core.logged_at.warn)
    local before = #core.response.exited
    assert.is_nil(plugin.rewrite(conf(), ctx_with({ ["X-Userinfo"] = userinfo(alice) })))
    assert.equals(before, #core.response.exited)
  end)

  describe("with verified claims", function()
    local ctx, status
    before_each(function()
      ctx = ctx_with({ ["X-Userinfo"] = userinfo(alice) })
      status = plugin.rewrite(conf(), ctx)
    end)

    it("lets the request through", function()
      assert.is_nil(status)
    end)

    it("sets X-User-ID from sub", function()
      assert.equals("user-1", ctx.headers["x-user-id"])
    end)

    it("sets X-User-Role to the declared roles only, in the spec's order", function()
      assert.equals("viewer,admin", ctx.headers["x-user-role"])
    end)

    it("sets X-Tenant-ID from the tenant claim", function()
      assert.equals("acme", ctx.headers["x-tenant-id"])
    end)

    it("maps extra claims to their headers", function()
      assert.equals("a@example.com", ctx.headers["x-user-email"])
    end)

    it("exposes the identity to later plugins and the log as ctx.external_user", function()
      assert.same({ sub = "user-1", roles = { "viewer", "admin" }, tenant = "acme" }, ctx.external_user)
    end)

    it("removes X-Userinfo so services see only the identity headers", function()
      assert.is_nil(ctx.headers["x-userinfo"])
    end)
  end)

  it("leaves later plugins no stale $http_ value of a header it wrote", function()
    local ctx = ctx_with({ ["X-Userinfo"] = userinfo(alice), ["X-User-ID"] = "root", Authorization = "Bearer abc" })
    -- Read (and cached) before the plugin runs, as a plugin ahead of it might.
    assert.equals("root", ctx.var.http_x_user_id)
    assert.equals("Bearer abc", ctx.var.http_authorization)
    plugin.rewrite(conf(), ctx)
    assert.equals("user-1", ctx.var.http_x_user_id)
    assert.is_nil(ctx.var.http_authorization)
  end)

  it("reads nested claim paths, each as configured, however often", function()
    local claims = { sub = "u", aud = "api-gateway", exp = FAR, resource_access = { ["api-gateway"] = { roles = { "writer" } }, account = { roles = { "admin" } } }, org = { id = "t-9" } }
    local c = conf({ roles_claim = "resource_access.api-gateway.roles", tenant_claim = "org.id", allow_roles = { "writer" } })
    for _ = 1, 3 do
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(claims) })
      assert.is_nil(plugin.rewrite(c, ctx))
      assert.equals("writer", ctx.headers["x-user-role"])
      assert.equals("t-9", ctx.headers["x-tenant-id"])
    end
    local other = ctx_with({ ["X-Userinfo"] = userinfo(claims) })
    assert.equals(403, plugin.rewrite(conf({ roles_claim = "resource_access.account.roles", allow_roles = { "writer" } }), other))
  end)

  it("keeps X-Userinfo when forward_userinfo is set", function()
    local ctx = ctx_with({ ["X-Userinfo"] = userinfo(alice) })
    plugin.rewrite(conf({ forward_userinfo = true }), ctx)
    assert.is_not_nil(ctx.headers["x-userinfo"])
  end)

  describe("allows a rule's roles only (deny unless one is held)", function()
    local function status_for(roles, allow)
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(valid({ realm_access = { roles = roles } })) })
      local status, body = plugin.rewrite(conf({ allow_roles = allow }), ctx)
      return status, body, ctx
    end

    it("passes a caller holding one of the rule's roles", function()
      assert.is_nil((status_for({ "writer" }, { "writer", "admin" })))
    end)

    it("refuses with 403 a caller holding none of them, and sets no identity header", function()
      local status, body, ctx = status_for({ "viewer" }, { "writer", "admin" })
      assert.equals(403, status)
      assert.same({ message = "forbidden" }, body)
      assert.is_nil(ctx.headers["x-user-id"])
      assert.is_nil(ctx.headers["x-user-role"])
    end)

    it("refuses a caller with no roles at all", function()
      assert.equals(403, (status_for({}, { "viewer" })))
      assert.equals(403, plugin.rewrite(conf({ allow_roles = { "viewer" } }), ctx_with({ ["X-Userinfo"] = userinfo(valid({ sub = "user-3" })) })))
    end)

    it("ignores a role the spec does not declare, even when the rule names it", function()
      -- known_roles is the realm as the spec declares it; a token role outside it counts for nothing.
      assert.equals(403, (status_for({ "superuser" }, { "superuser" })))
    end)

    it("does not load without roles to allow (no route can be open by omission)", function()
      assert.is_false((plugin.check_schema({ known_roles = { "viewer" } })))
      assert.is_false((plugin.check_schema({ known_roles = { "viewer" }, allow_roles = {} })))
    end)
  end)

  describe("requires every scope of the rule, after the role check (RFC 6750 insufficient_scope)", function()
    local scoped = function() return conf({ required_scopes = { "orders:read", "orders:write" } }) end
    local function with_scope(scope)
      local claims = valid({ realm_access = { roles = { "viewer" } }, scope = scope })
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(claims), ["X-User-ID"] = "root" })
      ngx.header["WWW-Authenticate"] = nil
      return plugin.rewrite(scoped(), ctx), ctx
    end

    it("passes a token carrying all of them among others", function()
      assert.is_nil((with_scope("profile orders:write email orders:read")))
    end)

    it("refuses with 403 and a challenge naming the scopes when one is missing, and sets no identity", function()
      for _, scope in ipairs({ "orders:read", "", "orders:read,orders:write", "orders:readorders:write", "ORDERS:READ ORDERS:WRITE", "orders:read\torders:write" }) do
        local status, ctx = with_scope(scope)
        assert.equals(403, status, scope)
        assert.equals('Bearer realm="shop", error="insufficient_scope", scope="orders:read orders:write"', ngx.header["WWW-Authenticate"])
        assert.is_nil(ctx.headers["x-user-id"])
        assert.same({ reason = "scope_missing", identity = { sub = "user-2", claims_from = "openid-connect" } }, ctx.gateway_decision)
      end
    end)

    it("refuses a scope claim that is not a string (a list is not RFC 6749's form)", function()
      assert.equals(403, (with_scope({ "orders:read", "orders:write" })))
    end)

    it("checks roles first: a caller without the role is role_missing, scopes or not", function()
      local claims = valid({ realm_access = { roles = { "writer" } }, scope = "orders:read orders:write" })
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(claims) })
      assert.equals(403, (plugin.rewrite(scoped(), ctx)))
      assert.equals("role_missing", ctx.gateway_decision.reason)
    end)

    it("applies to remembered tokens too (the fast path keeps claims, not decisions)", function()
      local ctx = ctx_with({})
      ctx.gateway_verified_token = { claims = valid({ realm_access = { roles = { "viewer" } }, scope = "orders:read" }), kid = "k1" }
      assert.equals(403, (plugin.rewrite(scoped(), ctx)))
      assert.equals("scope_missing", ctx.gateway_decision.reason)
    end)
  end)

  describe("binds a tenant path segment to the token's tenant, exactly", function()
    local bound = function() return conf({ tenant_segment = 3 }) end
    -- uri: the normalised path the route matched; raw: the request line's target.
    local function at(uri, raw, tenant)
      if tenant == nil then tenant = "acme" end
      local claims = valid({ realm_access = { roles = { "viewer" } }, tenant_id = tenant or nil })
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(claims) })
      ctx.var.uri = uri
      ctx.var.real_request_uri = raw
      return plugin.rewrite(bound(), ctx), ctx
    end

    it("passes the token's own tenant, with a query string or not", function()
      assert.is_nil((at("/api/tenants/acme/orders/1", "/api/tenants/acme/orders/1?x=/a/b")))
      assert.is_nil((at("/api/tenants/acme", "/api/tenants/acme")))
    end)

    it("refuses another tenant, a prefix or extension of it, another case, or a path too short", function()
      for _, path in ipairs({ "/api/tenants/globex/orders", "/api/tenants/acm/orders", "/api/tenants/acme2/orders", "/api/tenants/ACME/orders", "/api/tenants/acme;x/orders", "/api/tenants/", "/api/tenants" }) do
        local status, ctx = at(path, path)
        assert.equals(403, status, path)
        assert.equals("tenant_mismatch", ctx.gateway_decision.reason, path)
        assert.is_nil(ctx.headers["x-tenant-id"])
      end
    end)

    it("refuses when the path the caller sent names the tenant in any other spelling than the normalised one", function()
      for _, raw in ipairs({ "/api/tenants/%61cme/orders", "/api/tenants/acm%65/orders", "/api//tenants/acme/orders", "/api/tenants/globex/../acme/orders", "/api/./tenants/acme/orders", "/api/tenants/acme%2Forders" }) do
        assert.equals(403, (at("/api/tenants/acme/orders", raw)), raw)
      end
    end)

    it("refuses when the normalised path names another tenant than the raw one", function()
      assert.equals(403, (at("/api/tenants/globex/orders", "/api/tenants/acme/../globex/orders")))
    end)

    it("refuses a token without a tenant (tenant_missing), and one whose tenant is not a string", function()
      local status, ctx = at("/api/tenants/acme/orders", "/api/tenants/acme/orders", false)
      assert.equals(403, status)
      assert.equals("tenant_missing", ctx.gateway_decision.reason)
      for _, odd in ipairs({ { "1" }, 1, true, "" }) do
        local path = "/api/tenants/" .. tostring(type(odd) == "table" and odd[1] or odd) .. "/orders"
        assert.equals(403, (at(path, path, odd)), path)
      end
    end)

    it("does nothing on routes that bind no tenant", function()
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(valid({ realm_access = { roles = { "viewer" } } })) })
      ctx.var.uri = "/api/tenants/globex/orders"
      assert.is_nil(plugin.rewrite(conf(), ctx))
    end)
  end)

  describe("claims openid-connect does not check", function()
    local function status_of(claims, overrides)
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(claims) })
      return plugin.rewrite(conf(overrides), ctx), ctx
    end

    it("refuses with 401 a token for another audience, saying invalid_token", function()
      local status, ctx = status_of(valid({ aud = "some-other-api", realm_access = { roles = { "viewer" } } }))
      assert.equals(401, status)
      assert.matches('error="invalid_token"', ngx.header["WWW-Authenticate"], 1, true)
      assert.is_nil(ctx.headers["x-user-id"])
    end)

    it("accepts the audience in a list", function()
      assert.is_nil((status_of(valid({ realm_access = { roles = { "viewer" } } }))))
    end)

    it("refuses a token without exp", function()
      local claims = valid({ realm_access = { roles = { "viewer" } } })
      claims.exp = nil
      assert.equals(401, (status_of(claims)))
    end)

    it("refuses a token expired beyond the 60 s clock skew (openid-connect allows 120 s), and accepts one within it", function()
      local status = status_of(valid({ exp = ngx.time() - 90, realm_access = { roles = { "viewer" } } }))
      assert.equals(401, status)
      assert.matches('error="invalid_token"', ngx.header["WWW-Authenticate"], 1, true)
      assert.is_nil((status_of(valid({ exp = ngx.time() - 30, realm_access = { roles = { "viewer" } } }))))
    end)

    it("with the realm's bounds: refuses a token without iat, issued in the future, or living longer than the realm issues (60 s skew)", function()
      local bounded = { max_token_lifetime = 300 }
      local now = ngx.time()
      local roles = { roles = { "viewer" } }
      assert.equals(401, (status_of(valid({ exp = now + 300, realm_access = roles }), bounded)))
      assert.equals(401, (status_of(valid({ iat = now + 600, exp = now + 900, realm_access = roles }), bounded)))
      assert.equals(401, (status_of(valid({ iat = now, exp = now + 10 * 365 * 86400, realm_access = roles }), bounded)))
      assert.equals(401, (status_of(valid({ iat = now - 100, exp = now + 300, realm_access = roles }), bounded)))
      assert.is_nil((status_of(valid({ iat = now, exp = now + 300, realm_access = roles }), bounded)))
      assert.is_nil((status_of(valid({ iat = now + 30, exp = now + 330, realm_access = roles }), bounded)))
      assert.is_nil((status_of(valid({ iat = now - 50, exp = now + 300, realm_access = roles }), bounded)))
    end)

    it("refuses a token not valid before a time beyond the 60 s clock skew, and accepts one within it", function()
      assert.equals(401, (status_of(valid({ nbf = ngx.time() + 600, realm_access = { roles = { "viewer" } } }))))
      assert.is_nil((status_of(valid({ nbf = ngx.time() + 30, realm_access = { roles = { "viewer" } } }))))
    end)
  end)

  describe("credentials and unverified claims stay at the gateway", function()
    it("removes the caller's Authorization header", function()
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(alice), Authorization = "Bearer abc" })
      assert.is_nil(plugin.rewrite(conf(), ctx))
      assert.is_nil(ctx.headers["authorization"])
    end)

    it("keeps it for a service that opted in", function()
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(alice), Authorization = "Bearer abc" })
      plugin.rewrite(conf({ forward_authorization = true }), ctx)
      assert.equals("Bearer abc", ctx.headers["authorization"])
    end)

    it("removes the gateway's own session cookies (and their chunks), keeping the others", function()
      local ctx = ctx_with({ ["X-Access-Token"] = (function()
        local b64url = function(t) return (ngx.encode_base64(t):gsub("+", "-"):gsub("/", "_"):gsub("=", "")) end
        return b64url('{"alg":"RS256"}') .. "." .. b64url(cjson.encode(alice)) .. ".c2ln"
      end)(), Cookie = "theme=dark; portal_session=abc; portal_session_2=def; other_session=x" })
      assert.is_nil(plugin.rewrite(conf({ claims_source = "access_token", session_cookie = "portal_session" }), ctx))
      assert.equals("theme=dark; other_session=x", ctx.headers["cookie"])
    end)

    it("drops the Cookie header when only session cookies were in it", function()
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(alice), Cookie = "portal_session=abc" })
      plugin.rewrite(conf({ session_cookie = "portal_session" }), ctx)
      assert.is_nil(ctx.headers["cookie"])
    end)

    it("passes an email only when email_verified is true", function()
      local unverified = ctx_with({ ["X-Userinfo"] = userinfo(valid({ email = "ceo@example.com", email_verified = false, realm_access = { roles = { "viewer" } } })) })
      plugin.rewrite(conf(), unverified)
      assert.is_nil(unverified.headers["x-user-email"])
      local unsaid = ctx_with({ ["X-Userinfo"] = userinfo(valid({ email = "ceo@example.com", realm_access = { roles = { "viewer" } } })) })
      plugin.rewrite(conf(), unsaid)
      assert.is_nil(unsaid.headers["x-user-email"])
    end)
  end)

  describe("browser sessions refuse cross-site unsafe requests (the cookie rides along)", function()
    local function session_ctx(headers)
      headers["X-Userinfo"] = userinfo(alice)
      return ctx_with(headers)
    end
    local app = { app_origin = "https://shop.example.com" }
    after_each(function() _G.ngx_test_method = nil end)

    it("refuses a POST whose Origin is another site", function()
      _G.ngx_test_method = "POST"
      local status, body = plugin.rewrite(conf(app), session_ctx({ Origin = "https://evil.example" }))
      assert.equals(403, status)
      assert.same({ error = "cross_site_request" }, body)
    end)

    it("refuses an unsafe request that says nothing of its site, or says cross-site", function()
      _G.ngx_test_method = "DELETE"
      assert.equals(403, (plugin.rewrite(conf(app), session_ctx({}))))
      assert.equals(403, (plugin.rewrite(conf(app), session_ctx({ ["Sec-Fetch-Site"] = "same-site" }))))
    end)

    it("lets the app's own origin, or a same-origin fetch, through; and safe methods always", function()
      _G.ngx_test_method = "POST"
      assert.is_nil((plugin.rewrite(conf(app), session_ctx({ Origin = "https://shop.example.com" }))))
      assert.is_nil((plugin.rewrite(conf(app), session_ctx({ ["Sec-Fetch-Site"] = "same-origin" }))))
      _G.ngx_test_method = "GET"
      assert.is_nil((plugin.rewrite(conf(app), session_ctx({ Origin = "https://evil.example" }))))
    end)

    it("does not apply to bearer routes (no cookie: a cross-site page cannot send the token)", function()
      _G.ngx_test_method = "POST"
      assert.is_nil((plugin.rewrite(conf(), session_ctx({ Origin = "https://evil.example" }))))
    end)
  end)

  describe("refusals say a stable reason, never the library's error", function()
    after_each(function() ngx.header = {}; ngx.status = nil end)

    it("rewrites a 401 challenge carrying an error description to the bare invalid_token code", function()
      ngx.status = 401
      ngx.header["WWW-Authenticate"] = 'Bearer realm="shop", error="invalid_token", error_description="RSA key with id attacker-kid not found"'
      plugin.header_filter(conf(), {})
      assert.equals('Bearer realm="shop", error="invalid_token"', ngx.header["WWW-Authenticate"])
    end)

    it("keeps a missing-token challenge without an error code", function()
      ngx.status = 401
      ngx.header["WWW-Authenticate"] = 'Bearer realm="shop"'
      plugin.header_filter(conf(), {})
      assert.equals('Bearer realm="shop"', ngx.header["WWW-Authenticate"])
    end)

    it("leaves other responses alone", function()
      ngx.status = 200
      ngx.header["WWW-Authenticate"] = "Negotiate"
      plugin.header_filter(conf(), {})
      assert.equals("Negotiate", ngx.header["WWW-Authenticate"])
    end)
  end)

  describe("fails closed", function()
    it("with 401 when openid-connect left no verified claims", function()
      local ctx = ctx_with({})
      local status, body = plugin.rewrite(conf(), ctx)
      assert.equals(401, status)
      assert.same({ error = "unauthenticated" }, body)
      assert.is_nil(ctx.external_user)
    end)

    it("with 401 when the claims are not base64", function()
      assert.equals(401, plugin.rewrite(conf(), ctx_with({ ["X-Userinfo"] = "%%%not-base64" })))
    end)

    it("with 401 when the claims are not a JSON object", function()
      assert.equals(401, plugin.rewrite(conf(), ctx_with({ ["X-Userinfo"] = ngx.encode_base64("not json") })))
    end)

    it("with 401 when the claims carry no sub", function()
      assert.equals(401, plugin.rewrite(conf(), ctx_with({ ["X-Userinfo"] = userinfo({ tenant_id = "acme", aud = "api-gateway", exp = FAR }) })))
    end)

    it("with 401 when X-Userinfo came twice (a list, not one verified value)", function()
      assert.equals(401, plugin.rewrite(conf(), ctx_with({ ["X-Userinfo"] = { userinfo(alice), userinfo(alice) } })))
    end)
  end)

  describe("never trusts a client-supplied identity header", function()
    local spoofed = {
      ["X-User-ID"] = "root",
      ["X-User-Role"] = "admin",
      ["X-Tenant-ID"] = "other-tenant",
      ["X-User-Email"] = "ceo@example.com",
    }

    it("clears every managed header when the request is refused", function()
      local ctx = ctx_with(spoofed)
      assert.equals(401, plugin.rewrite(conf(), ctx))
      for name in pairs(spoofed) do assert.is_nil(ctx.headers[name:lower()], name) end
    end)

    it("replaces them with verified values, and clears those whose claim is absent", function()
      local headers = { ["X-Userinfo"] = userinfo(valid({ realm_access = { roles = { "writer" } } })) }
      for k, v in pairs(spoofed) do headers[k] = v end
      local ctx = ctx_with(headers)
      assert.is_nil(plugin.rewrite(conf({ allow_roles = { "writer" } }), ctx))
      assert.equals("user-2", ctx.headers["x-user-id"])
      assert.equals("writer", ctx.headers["x-user-role"])
      assert.is_nil(ctx.headers["x-tenant-id"])
      assert.is_nil(ctx.headers["x-user-email"])
    end)
  end)

  it("sets every claim header of a rule, however many it has (0 to 5), and clears the client's copy of each", function()
    for count = 0, 5 do
      local mappings, claims, headers = {}, valid({ tenant_id = "acme", realm_access = { roles = { "viewer" } } }), {}
      for i = 1, count do
        mappings[i] = { claim = "c" .. i, header = "X-Claim-" .. i }
        headers["X-Claim-" .. i] = "spoofed-" .. i
        -- Every other claim absent: its header must be cleared, not left as the client sent it.
        if i % 2 == 1 then claims["c" .. i] = "value-" .. i end
      end
      headers["X-User-ID"], headers["X-Tenant-ID"] = "root", "other"
      headers["X-Userinfo"] = userinfo(claims)
      local ctx = ctx_with(headers)
      assert.is_nil(plugin.rewrite(conf({ claim_headers = mappings }), ctx), count .. " claim headers")
      assert.equals("user-2", ctx.headers["x-user-id"])
      assert.equals("acme", ctx.headers["x-tenant-id"])
      for i = 1, count do
        assert.equals(i % 2 == 1 and "value-" .. i or nil, ctx.headers["x-claim-" .. i], count .. " claim headers, header " .. i)
      end
    end
  end)

  describe("roles", function()
    it("a caller with no declared role has an empty role list, is refused, and gets no X-User-Role", function()
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(valid({ sub = "u", realm_access = { roles = { "offline_access" } } })) })
      assert.equals(403, (plugin.rewrite(conf(), ctx)))
      assert.is_nil(ctx.headers["x-user-role"])
      assert.same({}, ctx.external_user.roles)
    end)

    it("ignores a roles claim of the wrong shape", function()
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(valid({ sub = "u", realm_access = { roles = "admin" } })) })
      plugin.rewrite(conf(), ctx)
      assert.same({}, ctx.external_user.roles)
    end)

    it("reads roles from a configured claim path", function()
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(valid({ sub = "u", groups = { "writer" } })) })
      assert.is_nil(plugin.rewrite(conf({ roles_claim = "groups", allow_roles = { "writer" } }), ctx))
      assert.equals("writer", ctx.headers["x-user-role"])
    end)
  end)

  describe("browser sessions (claims from the access token the gateway holds)", function()
    local function jwt(claims)
      local b64url = function(t) return (ngx.encode_base64(t):gsub("+", "-"):gsub("/", "_"):gsub("=", "")) end
      return b64url('{"alg":"RS256"}') .. "." .. b64url(cjson.encode(claims)) .. ".c2ln"
    end

    it("reads the claims from X-Access-Token and sets the same identity headers", function()
      local ctx = ctx_with({ ["X-Access-Token"] = jwt(alice) })
      assert.is_nil(plugin.rewrite(conf({ claims_source = "access_token" }), ctx))
      assert.equals("session", ctx.gateway_decision.identity.claims_from)
      assert.equals("user-1", ctx.headers["x-user-id"])
      assert.equals("viewer,admin", ctx.headers["x-user-role"])
      assert.equals("acme", ctx.headers["x-tenant-id"])
    end)

    it("never passes the session's token on to the service", function()
      local ctx = ctx_with({ ["X-Access-Token"] = jwt(alice) })
      plugin.rewrite(conf({ claims_source = "access_token", forward_userinfo = true }), ctx)
      assert.is_nil(ctx.headers["x-access-token"])
    end)

    it("fails closed with 401 without a session token, or with one that is not a JWT", function()
      assert.equals(401, plugin.rewrite(conf({ claims_source = "access_token" }), ctx_with({})))
      assert.equals(401, plugin.rewrite(conf({ claims_source = "access_token" }), ctx_with({ ["X-Access-Token"] = "opaque-token" })))
    end)

    it("does not read X-Userinfo in session mode (a different source cannot stand in)", function()
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(alice) })
      assert.equals(401, plugin.rewrite(conf({ claims_source = "access_token" }), ctx))
    end)
  end)

  describe("tokens the key guard remembers as verified (the fast path: openid-connect stood aside)", function()
    local tokens = require("apisix.plugins.gateway-auth-verified-tokens")
    -- What gateway-key-guard puts in ctx for a remembered token.
    local function remembered(claims, headers)
      local ctx = ctx_with(headers or {})
      ctx.gateway_verified_token = { claims = claims, userinfo = userinfo(claims), kid = "k1" }
      return ctx
    end

    it("takes the claims from ctx, with no X-Userinfo at all, and sets the same identity headers", function()
      local ctx = remembered(alice, { ["X-User-ID"] = "root" })
      assert.is_nil(plugin.rewrite(conf(), ctx))
      assert.equals("user-1", ctx.headers["x-user-id"])
      assert.equals("viewer,admin", ctx.headers["x-user-role"])
      assert.equals("acme", ctx.headers["x-tenant-id"])
      assert.is_nil(ctx.headers["x-userinfo"])
      assert.is_nil(ctx.headers["authorization"])
    end)

    it("says so in the decision log: claims from the fast path", function()
      local ctx = remembered(alice)
      plugin.rewrite(conf(), ctx)
      assert.equals("fast-path", ctx.gateway_decision.identity.claims_from)
    end)

    it("still applies the rule's roles and the audience check: the cache holds claims, not decisions", function()
      assert.equals(403, (plugin.rewrite(conf({ allow_roles = { "writer" } }), remembered(alice))))
      assert.equals(401, (plugin.rewrite(conf({ audience = "other-gateway" }), remembered(alice))))
    end)

    it("reuses what a rule made of a remembered token on its later requests, each rule its own, and still checks exp on every one", function()
      local entry = remembered(alice).gateway_verified_token
      local readers, writers = conf(), conf({ allow_roles = { "writer" } })
      local function again(c)
        local ctx = remembered(alice, { ["X-User-ID"] = "root", ["X-Tenant-ID"] = "evil" })
        ctx.gateway_verified_token = entry
        return plugin.rewrite(c, ctx), ctx
      end
      for _ = 1, 2 do
        local status, ctx = again(readers)
        assert.is_nil(status)
        assert.equals("user-1", ctx.headers["x-user-id"])
        assert.equals("acme", ctx.headers["x-tenant-id"])
        assert.equals("sub:user-1", ctx.gateway_rate_key)
        assert.equals(403, (again(writers)))
      end
      -- The claims expire under the kept view: refused, whatever the view says.
      local expired = remembered(valid({ exp = os.time() - 120, realm_access = { roles = { "viewer" } } })).gateway_verified_token
      local ctx = remembered(alice)
      ctx.gateway_verified_token = expired
      expired.views = entry.views
      assert.equals(401, (plugin.rewrite(readers, ctx)))
    end)

    it("keeps no request's state in a reused view: each request gets its own decision", function()
      local entry = remembered(alice).gateway_verified_token
      local first = remembered(alice); first.gateway_verified_token = entry
      local second = remembered(alice); second.gateway_verified_token = entry
      plugin.rewrite(conf(), first)
      plugin.rewrite(conf(), second)
      assert.are_not.equal(first.gateway_decision, second.gateway_decision)
      assert.equals("allowed", second.gateway_decision.reason)
    end)

    it("hands services X-Userinfo when forward_userinfo is set, as openid-connect would have", function()
      local ctx = remembered(alice)
      plugin.rewrite(conf({ forward_userinfo = true }), ctx)
      assert.same(alice, cjson.decode(ngx.decode_base64(ctx.headers["x-userinfo"])))
    end)

    it("is ignored on browser-session routes, whose claims come from the gateway's own token only", function()
      assert.equals(401, plugin.rewrite(conf({ claims_source = "access_token" }), remembered(alice)))
    end)

    it("after openid-connect verified a token, remembers it in the fast path with its claims (and X-Userinfo only where services get it)", function()
      local remember = tokens.remember
      local got
      tokens.remember = function(...) got = { ... } end
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(alice), Authorization = "Bearer a.b.c" })
      plugin.rewrite(conf(), ctx)
      assert.equals(ctx, got[1])
      assert.equals("Bearer a.b.c", got[2])
      assert.equals("user-1", got[3].sub)
      assert.is_nil(got[4])
      plugin.rewrite(conf({ forward_userinfo = true }), ctx_with({ ["X-Userinfo"] = userinfo(alice), Authorization = "Bearer a.b.c" }))
      tokens.remember = remember
      assert.equals(userinfo(alice), got[4])
    end)

    it("hands services X-Userinfo built from the claims when the entry holds none", function()
      local ctx = remembered(alice)
      ctx.gateway_verified_token.userinfo = nil
      plugin.rewrite(conf({ forward_userinfo = true }), ctx)
      assert.same(alice, cjson.decode(ngx.decode_base64(ctx.headers["x-userinfo"])))
    end)

    it("does not remember a token whose claims it refused (audience), nor one from the fast path again", function()
      local remember = tokens.remember
      local calls = 0
      tokens.remember = function() calls = calls + 1 end
      plugin.rewrite(conf({ audience = "other-gateway" }), ctx_with({ ["X-Userinfo"] = userinfo(alice), Authorization = "Bearer a.b.c" }))
      plugin.rewrite(conf(), remembered(alice, { Authorization = "Bearer a.b.c" }))
      tokens.remember = remember
      assert.equals(0, calls)
    end)
  end)

  describe("schema", function()
    it("requires known_roles", function()
      assert.is_false((plugin.check_schema({ allow_roles = { "a" } })))
    end)

    it("refuses unknown fields", function()
      assert.is_false((plugin.check_schema({ known_roles = {}, allow_roles = { "a" }, audience = "x", realm = "r", trust_client_headers = true })))
    end)

    it("fills defaults for header names", function()
      local c = { known_roles = { "a" }, allow_roles = { "a" }, audience = "api-gateway", realm = "shop" }
      assert.is_true((plugin.check_schema(c)))
      assert.equals("X-User-ID", c.user_id_header)
      assert.equals(false, c.forward_userinfo)
    end)
  end)
  describe("records its decision and whose rate-limit budget an allowed request uses", function()
    local function decided(claims, overrides)
      local ctx = ctx_with({ ["X-Userinfo"] = userinfo(claims), ["X-User-ID"] = "spoofed", ["X-Client-Id"] = "spoofed" })
      local status = plugin.rewrite(conf(overrides), ctx)
      return status, ctx
    end

    it("keys a user's budget by the verified subject, and says allowed with who it was", function()
      local status, ctx = decided(valid({ sub = "user-9", azp = "web", tenant_id = "acme", realm_access = { roles = { "viewer" } } }))
      assert.is_nil(status)
      assert.equals("sub:user-9", ctx.gateway_rate_key)
      assert.same({ reason = "allowed", identity = { sub = "user-9", client_id = "web", tenant = "acme", claims_from = "openid-connect" } }, ctx.gateway_decision)
      assert.equals("sub:user-9", core.registered_vars.gateway_rate_key(ctx))
    end)

    it("keys a service account's budget by its client, whatever its token's subject", function()
      local _, ctx = decided(valid({ sub = "sa-uuid-1", azp = "worker", realm_access = { roles = { "viewer" } } }), { service_clients = { "worker" } })
      assert.equals("client:worker", ctx.gateway_rate_key)
    end)

    it("names a refusal: role_missing with the verified caller, wrong_audience, invalid_token, cross_site_request", function()
      local status, ctx = decided(valid({ sub = "user-3", realm_access = { roles = { "writer" } } }))
      assert.equals(403, status)
      assert.same({ reason = "role_missing", identity = { sub = "user-3", claims_from = "openid-connect" } }, ctx.gateway_decision)
      assert.is_nil(ctx.gateway_rate_key)
      ctx = select(2, decided(valid({ aud = "other", realm_access = { roles = { "viewer" } } })))
      assert.equals("wrong_audience", ctx.gateway_decision.reason)
      ctx = select(2, decided({ sub = "user-2", aud = "api-gateway", realm_access = { roles = { "viewer" } } }))
      assert.equals("invalid_token", ctx.gateway_decision.reason)
      ctx = select(2, decided(valid({ exp = ngx.time() - 61, realm_access = { roles = { "viewer" } } })))
      assert.equals("expired_token", ctx.gateway_decision.reason)
      _G.ngx_test_method = "POST"
      ctx = ctx_with({ Origin = "https://evil.example" })
      plugin.rewrite(conf({ app_origin = "https://shop.example.com" }), ctx)
      _G.ngx_test_method = nil
      assert.equals("cross_site_request", ctx.gateway_decision.reason)
    end)
  end)
end)
