-- A Keycloak-shaped access token for the Lua benchmarks (scripts/*.lua): its
-- claims with `roles` extra realm roles, and its Authorization header
-- (RS256 header with a 43-character kid, a 2048-bit key's 342-character signature).
local cjson = require("cjson.safe")

local M = {}

M.KID = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

function M.b64url(t) return (ngx.encode_base64(t):gsub("+", "-"):gsub("/", "_"):gsub("=", "")) end

function M.claims_with(roles)
  local list = { "default-roles-shop", "offline_access", "uma_authorization" }
  for i = 1, roles do list[#list + 1] = "role-" .. i end
  return { exp = 4102444800, iat = 4102444500, jti = "0a1b2c3d-4e5f-6789-abcd-ef0123456789", iss = "https://auth.example.com/realms/shop",
    aud = { "api-gateway", "account" }, sub = "f1e2d3c4-b5a6-9788-6960-5a4b3c2d1e0f", typ = "Bearer", azp = "web", sid = "abcdef01-2345-6789-abcd-ef0123456789",
    scope = "openid profile email", email_verified = true, email = "alice@example.com", tenant_id = "acme", preferred_username = "alice",
    realm_access = { roles = list }, resource_access = { account = { roles = { "manage-account", "view-profile" } } } }
end

function M.header_for(claims)
  return "Bearer " .. M.b64url('{"alg":"RS256","typ":"JWT","kid":"' .. M.KID .. '"}') .. "." .. M.b64url(cjson.encode(claims)) .. "." .. ("s"):rep(342)
end

return M
