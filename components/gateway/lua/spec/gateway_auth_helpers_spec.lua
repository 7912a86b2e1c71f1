require("ngx_stub")
local helpers = require("apisix.plugins.gateway-auth-helpers")

-- What a well-formed bearer header is, said once as a Lua pattern: the
-- oracle the one-pass reader must agree with on every input.
local function oracle(authorization)
  if type(authorization) ~= "string" then return nil end
  local scheme, header, payload, signature = authorization:match("^(%a+) +([%w_-]+)%.([%w_-]+)%.([%w_-]+)$")
  if not scheme or scheme:lower() ~= "bearer" then return nil end
  return header, payload, signature
end

local function parts_of(authorization)
  local first, dot1, dot2 = helpers.bearer_token_bounds(authorization)
  if not first then return nil end
  return authorization:sub(first, dot1 - 1), authorization:sub(dot1 + 1, dot2 - 1), authorization:sub(dot2 + 1)
end

local function agree(authorization)
  local h1, p1, s1 = oracle(authorization)
  local h2, p2, s2 = parts_of(authorization)
  assert.are.same({ h1, p1, s1 }, { h2, p2, s2 }, ("%q"):format(tostring(authorization)))
end

-- What a careless client or an attacker puts in the header: separators,
-- padding, the other base64 alphabet, whitespace, control and non-ASCII bytes.
local NASTY = { ".", " ", "\t", "=", "+", "/", "%", ",", "\0", "\n", "\r", "\128", "\255", "é", "a", "Z", "9", "-", "_", ".." }
local SCHEMES = { "Bearer ", "bearer ", "BEARER  ", "bEaReR ", "Bearer\t", "Bearerx ", " Bearer ", "Bearer", "Basic ", "B ", "", "Bearer   " }
local TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.c2lnbmF0dXJlLWJ5dGVz"

local function mutate(text)
  local at = math.random(0, #text)
  local with = NASTY[math.random(#NASTY)]
  local kind = math.random(3)
  if kind == 1 then return text:sub(1, at) .. with .. text:sub(at + 1) end -- insert
  if kind == 2 then return text:sub(1, at) .. text:sub(at + 2) end -- delete
  return text:sub(1, at) .. with .. text:sub(at + 1 + #with) -- overwrite
end

describe("gateway-auth-helpers: reading a bearer header without verifying it", function()
  it("agrees with the pattern that defines a bearer JWT, on every scheme and on thousands of mutated tokens", function()
    math.randomseed(26)
    local accepted, refused = 0, 0
    for _, scheme in ipairs(SCHEMES) do
      agree(scheme .. TOKEN)
      for _ = 1, 400 do
        local text = scheme .. TOKEN
        for _ = 1, math.random(3) do text = mutate(text) end
        agree(text)
        if oracle(text) then accepted = accepted + 1 else refused = refused + 1 end
      end
    end
    -- Both outcomes were exercised, or the agreement proves little.
    assert.is_true(accepted > 200, "accepted " .. accepted)
    assert.is_true(refused > 2000, "refused " .. refused)
  end)

  it("refuses empty parts, a fourth part, and what is not a string", function()
    for _, bad in ipairs({ "Bearer .p.s", "Bearer h..s", "Bearer h.p.", "Bearer h.p", "Bearer h.p.s.x", "Bearer ...", "Bearer h.p.s ", "Bearer  ", "Bearer" }) do
      assert.is_nil(helpers.bearer_token_bounds(bad), bad)
    end
    assert.is_nil(helpers.bearer_token_bounds(nil))
    assert.is_nil(helpers.bearer_token_bounds({ "Bearer h.p.s" }))
    assert.are.same({ 8, 9, 11 }, { helpers.bearer_token_bounds("Bearer h.p.s") })
  end)

  it("decodes a token's payload only when asked, once, and says nil for one that is not an object", function()
    local b64url = function(t) return (ngx.encode_base64(t):gsub("+", "-"):gsub("/", "_"):gsub("=", "")) end
    local core = require("apisix.core")
    local decode = core.json.decode
    local decoded = {}
    core.json.decode = function(text) decoded[#decoded + 1] = text; return decode(text) end
    local ok, err = pcall(function()
      local token = helpers.verifiable_token("Bearer " .. b64url('{"alg":"RS256"}') .. "." .. b64url('{"sub":"x"}') .. ".c2ln")
      assert.are.same({ '{"alg":"RS256"}' }, decoded)
      assert.equals("x", helpers.token_payload(token).sub)
      assert.equals("x", helpers.token_payload(token).sub)
      assert.equals(2, #decoded)
      for _, payload in ipairs({ "null", "[1]", "7", "not json" }) do
        assert.is_nil(helpers.token_payload(helpers.verifiable_token("Bearer " .. b64url('{"alg":"RS256"}') .. "." .. b64url(payload) .. ".c2ln")), payload)
      end
    end)
    core.json.decode = decode
    assert(ok, err)
  end)

  it("cuts out exactly the signed part and the signature, whatever the scheme's case, the spaces and the parts' lengths", function()
    local b64url = function(t) return (ngx.encode_base64(t):gsub("+", "-"):gsub("/", "_"):gsub("=", "")) end
    local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    local function random_part(n)
      local out = {}
      for i = 1, n do
        local at = math.random(#alphabet)
        out[i] = alphabet:sub(at, at)
      end
      return table.concat(out)
    end
    math.randomseed(7)
    for case = 1, 200 do
      local header = b64url('{"alg":"RS256","kid":"k' .. case .. '"}')
      local payload, signature = random_part(math.random(1, 900)), random_part(math.random(1, 400))
      local scheme = ({ "Bearer", "bearer", "BEARER", "bEaReR" })[case % 4 + 1]
      local token = helpers.verifiable_token(scheme .. string.rep(" ", case % 3 + 1) .. header .. "." .. payload .. "." .. signature)
      assert.truthy(token, "case " .. case)
      assert.equals(header .. "." .. payload, helpers.token_signed(token), "case " .. case)
      assert.equals(signature, helpers.token_signature(token), "case " .. case)
      assert.equals("k" .. case, token.header.kid)
    end
  end)
end)
