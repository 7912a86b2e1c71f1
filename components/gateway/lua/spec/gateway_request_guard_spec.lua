require("ngx_stub")
local guard = require("apisix.plugins.gateway-request-guard")

local KEYS = { ["_method"] = true, ["x-http-method-override"] = true }

describe("gateway-request-guard", function()
  it("runs right after gateway-decisions, before every route plugin", function()
    assert.is_true(guard.priority < 12100 and guard.priority > 2600)
  end)

  describe("reads override keys as frameworks decode them", function()
    for _, raw in ipairs({ "_method", "_METHOD", "%5Fmethod", "%5fmethod", "_%6Dethod", "%5F%6D%65%74%68%6F%64", "%255Fmethod",
      "%u005Fmethod", ".method", "[method", " _method", "+_method", "_method[]", "_method[x]", "_method%00junk", "x-http-method-override", "X-HTTP-Method-Override" }) do
      it(("%q is an override"):format(raw), function()
        assert.is_true(guard.is_override_key(KEYS, raw))
      end)
    end
    for _, raw in ipairs({ "method", "_methods", "x_method", "a", "", "%5Fmeth" }) do
      it(("%q is not"):format(raw), function()
        assert.is_false(guard.is_override_key(KEYS, raw))
      end)
    end
  end)

  describe("scans urlencoded text in chunks", function()
    local function scan(chunks)
      local feed = guard.urlencoded_scanner(KEYS)
      for i, chunk in ipairs(chunks) do
        if feed(chunk, i == #chunks) then return true end
      end
      return false
    end
    it("finds a key split across chunks, after any separator", function()
      assert.is_true(scan({ "a=1&_me", "thod=DELETE" }))
      assert.is_true(scan({ "a=1;_method=x" }))
      assert.is_true(scan({ "a=" .. ("x"):rep(100000), "&_method=1" }))
      assert.is_true(scan({ "_method" })) -- a key without a value
    end)
    it("ignores override words in values", function()
      assert.is_false(scan({ "note=_method&b=2" }))
      assert.is_false(scan({ "note=", "_method", "&b=2" }))
    end)
    it("refuses a key longer than any form needs (it would have to be buffered)", function()
      assert.is_true(scan({ ("k"):rep(5000) .. "=1" }))
    end)
  end)

  describe("scans multipart bodies in chunks", function()
    local function scan(chunks)
      local feed = guard.multipart_scanner(KEYS)
      for i, chunk in ipairs(chunks) do
        if feed(chunk, i == #chunks) then return true end
      end
      return false
    end
    local part = function(disposition) return "--b\r\nContent-Disposition: " .. disposition .. "\r\n\r\nDELETE\r\n" end
    it("every spelling of the name parameter", function()
      for _, d in ipairs({ 'form-data; name="_method"', "form-data; name=_method", 'FORM-DATA; NAME="_METHOD"', "form-data; name*=UTF-8''%5Fmethod", 'form-data; name="\\_method"', 'form-data; name = ".method"' }) do
        assert.is_true(scan({ part('form-data; name="a"') .. part(d) .. "--b--" }), d)
      end
    end)
    it("a part header split across chunks, behind a large file", function()
      local body = part('form-data; name="f"; filename="x"'):gsub("DELETE", ("x"):rep(200000)) .. part('form-data; name="_method"') .. "--b--"
      local chunks = {}
      for i = 1, #body, 65536 do chunks[#chunks + 1] = body:sub(i, i + 65535) end
      assert.is_true(scan(chunks))
    end)
    it("other fields pass", function()
      assert.is_false(scan({ part('form-data; name="note"') .. "--b--" }))
    end)
  end)

  it("reads a JSON body's top-level keys only", function()
    assert.is_true(guard.json_overrides(KEYS, '{"_method":"DELETE"}'))
    assert.is_false(guard.json_overrides(KEYS, '{"data":{"_method":"x"}}'))
    assert.is_false(guard.json_overrides(KEYS, "not json"))
  end)

  describe("path segments a servlet container reads as dot segments", function()
    for _, uri in ipairs({ "/a/..;/b", "/a/%2e%2e;/b", "/a/.%2E;x=1/b", "/a/..%3B/b", "/a/..%253B/b", "/a/.;/b", "/a\\..;\\b" }) do
      it(uri, function() assert.is_true(guard.has_dot_segment_parameter(uri)) end)
    end
    for _, uri in ipairs({ "/a/b;v=1/c", "/a/../b", "/a/..x;/b", "/a/b?x=..;", "/a/b" }) do
      it(uri .. " passes", function() assert.is_false(guard.has_dot_segment_parameter(uri)) end)
    end
  end)

  it("removes session cookies and their numbered chunks, keeps the rest", function()
    assert.equals("other=1; portal_session_x=y", require("apisix.plugins.gateway-auth-helpers").without_cookies("portal_session=a; other=1; portal_session_2=b; portal_session_x=y", { "portal_session" }))
    assert.is_nil(require("apisix.plugins.gateway-auth-helpers").without_cookies("portal_session=a", { "portal_session" }))
  end)

  it("strips header families by name and pattern, keeping anti-CSRF tokens", function()
    local conf = { strip_headers = { "x-user-id" }, strip_header_patterns = { "^x%-.+%-token$", "^x%-auth%-request%-" }, keep_headers = { "x-csrf-token" }, override_headers = {}, override_keys = {} }
    for _, name in ipairs({ "x-user-id", "x-access-token", "x-raw-id-token", "x-forwarded-access-token", "x-auth-request-email" }) do
      assert.is_true(guard.stripped(conf, name), name)
    end
    for _, name in ipairs({ "x-csrf-token", "x-request-id", "accept" }) do
      assert.is_false(guard.stripped(conf, name), name)
    end
  end)

  it("classes every header name the same however many names came before (the per-worker memo is bounded)", function()
    local conf = { strip_headers = { "x-user-id" }, strip_header_patterns = { "^x%-.+%-token$" }, keep_headers = {}, override_headers = { "x-http-method-override" }, override_keys = {} }
    local expected = { ["X-User-ID"] = "strip", ["X-Foo-Token"] = "strip", ["AUTHORIZATION"] = "credential", ["Proxy-Authorization"] = "credential",
      ["X-HTTP-Method-Override"] = "override", ["Cookie"] = "cookie", ["Accept"] = "pass" }
    for round = 1, 3 do
      for i = 1, 700 do guard.header_class(conf, "x-noise-" .. round .. "-" .. i) end
      for name, class in pairs(expected) do
        assert.equals(class, guard.header_class(conf, name), name)
      end
    end
  end)
end)
