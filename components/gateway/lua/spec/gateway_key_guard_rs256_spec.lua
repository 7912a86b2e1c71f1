-- The key guard's RS256 check against the real OpenSSL (libcrypto from the
-- system, as nginx links it): what a forged signature costs must not change
-- what it decides. The vector was made once with Node's crypto: one RSA-2048
-- key signed INPUT; OTHER is INPUT signed by another key.
require("ngx_stub")
local ffi = require("ffi")
local guard = require("apisix.plugins.gateway-key-guard")

-- lua-resty-openssl declares these in the gateway; here the spec does.
pcall(ffi.cdef, [[
  typedef struct evp_md_ctx_st EVP_MD_CTX;
  typedef struct evp_md_st EVP_MD;
  typedef struct evp_pkey_st EVP_PKEY;
  typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
  typedef struct engine_st ENGINE;
  typedef struct bio_st BIO;
  const EVP_MD *EVP_get_digestbyname(const char *name);
  EVP_MD_CTX *EVP_MD_CTX_new(void);
  void EVP_MD_CTX_free(EVP_MD_CTX *ctx);
  int EVP_DigestVerifyInit(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey);
  int EVP_DigestVerify(EVP_MD_CTX *ctx, const unsigned char *sigret, size_t siglen, const unsigned char *tbs, size_t tbslen);
  void ERR_clear_error(void);
  unsigned long ERR_peek_error(void);
  BIO *BIO_new_mem_buf(const void *buf, int len);
  int BIO_free(BIO *a);
  EVP_PKEY *PEM_read_bio_PUBKEY(BIO *bp, EVP_PKEY **x, void *cb, void *u);
]])

local function libcrypto()
  for _, name in ipairs({ "libcrypto.so.3", "libcrypto.so.1.1", "crypto" }) do
    local ok = pcall(ffi.load, name, true)
    if ok then return name end
  end
end

local PEM = [[
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuyMQ61IgBR+4KzV2Zb/T
LEXkWgY/eAl3aPvXlp8qe9282E1UvJnbc68FGFxuPLi6zw2HYGaK3c2SBCjc+N9s
mASVimfYumZCjQOnPFoPDpBsoTjJG9RhAbJH+5T8ddmdZ/xpSwjlGzu/ef9/iwZd
k70eCnjQfQLjo/7kISpr0hDXzc3U7VTm6Nve6d14qqvG6A7RgJLNhoFd5hMTu+oG
46hjpsQHKNJ/AI2WFF1A0aR8UhYwmiaS5JiT0efF9i/Ys6OGlMuCRiqhTWN9uNuZ
2b+Xqwk7zpifhO88ff4OXWRrGStEedPdSdOFAhLypwvDxtThIPxyeYq01y7/x19l
pwIDAQAB
-----END PUBLIC KEY-----
]]
local INPUT = "eyJhbGciOiJSUzI1NiIsImtpZCI6InNwZWMifQ.eyJzdWIiOiJzcGVjIn0"
local GOOD = ngx.decode_base64("LNN0Br87zm8icrnC4pguOhTy9wDNz0yAhvDlldxL1v8t/gOWVwmmQVAqITYun+VqgVSajHiznBTbxZpw5Btq1ZKYFvrnVlaP+dd4MBQLcQqOJqW4vs93ysgbwFuKay5u1zgxWIhkKrOKPkrCQ49kO+KqyVMAwkbouVJ+iz7DI8Sdv4EwXTJr+efXk6+9dHmggu+2ERhsMiDZjbmGVruvf26SnC+5Tx0k4OCINuPVGUSr4ux5UAkTXCIAvT9ANPMvEgurPB5LRFbGSyW7gAk4FtAC6tqrbSUcYoOiFVA1AgXsHPwKxvIfg2gSV2J+90JTC/NndA847Tny1F/r995wBg==")
local OTHER = ngx.decode_base64("Y6DP3SkW04t4vswEOR7+jxqt9BLpaU5cP0/N/eOgR7A9JwFxtJ3yyXYNRSsLIC5unOPptD3y2ru86W19T1ljmIzKxF4cUsUFgk5ECEEr63VtnL8GQoi41KEH4UPH0yimwig/JbU2sm8b9uZgrMq/urK+/qKbEd1Qldx/vQQcX+GJSS0UZvYdrg1KFoSN5c6X2umIJC++mLzJE0O7wVR8yougQduAKogw5xq7tausKTW2cna7zazWh8TdHtcrIUBgGxwVJ1Xvruq0H63ELVEwGSWeU2eTa+r+Zb0kbEjHagS6gzM19DBesZIe/ODuXFNy5ERw0O2DY8qvVtG+EJXeOg==")

local function public_key(pem)
  local bio = ffi.C.BIO_new_mem_buf(pem, #pem)
  local pkey = ffi.C.PEM_read_bio_PUBKEY(bio, nil, nil, nil)
  ffi.C.BIO_free(bio)
  assert(pkey ~= nil, "the spec's public key must load")
  return { ctx = pkey }
end

-- Each byte of `s` flipped in turn at `count` places spread over it.
local function flipped(s, count)
  local out = {}
  for n = 1, count do
    local at = math.floor((#s - 1) * (n - 1) / math.max(count - 1, 1)) + 1
    out[#out + 1] = s:sub(1, at - 1) .. string.char(bit.bxor(s:byte(at), 1 + (n % 255))) .. s:sub(at + 1)
  end
  return out
end

local loaded = libcrypto()
local describe_real = loaded and describe or pending

describe_real("gateway-key-guard's RS256 check, on the system's OpenSSL", function()
  local key
  setup(function() key = public_key(PEM) end)

  it("accepts the key's own signature of the input", function()
    assert.is_true(guard.openssl_rs256(key, INPUT, GOOD))
  end)

  it("refuses every altered signature, and leaves no OpenSSL error behind", function()
    for i, signature in ipairs(flipped(GOOD, 64)) do
      assert.is_false(guard.openssl_rs256(key, INPUT, signature), "flipped signature " .. i)
      assert.are.equal(0, tonumber(ffi.C.ERR_peek_error()), "error queue after " .. i)
    end
  end)

  it("refuses the signature over any altered input", function()
    for i, input in ipairs(flipped(INPUT, 32)) do
      assert.is_false(guard.openssl_rs256(key, input, GOOD), "flipped input " .. i)
    end
  end)

  it("refuses another key's signature, a truncated, an empty and an oversized one", function()
    for what, signature in pairs({ other = OTHER, truncated = GOOD:sub(1, -2), empty = "", oversized = GOOD .. "\0" }) do
      assert.is_false(guard.openssl_rs256(key, INPUT, signature), what)
      assert.are.equal(0, tonumber(ffi.C.ERR_peek_error()), what)
    end
  end)
end)
