// oidc-provider ships no types; the native tier's identity provider uses a small, checked-by-test part of it.
declare module "oidc-provider";
