/** Field formats, with the words an error message uses for each. */
export const K8S_NAME = { pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, describe: "a Kubernetes name (lowercase letters, digits, '-', at most 63)" };
/** Roles travel comma-separated in X-User-Role, so no commas or spaces. */
export const ROLE_NAME = {
  pattern: /^[A-Za-z][A-Za-z0-9_.-]{0,63}(:[A-Za-z0-9_.-]{1,63})*$/,
  describe: "a role name (letter first, then letters, digits, '_', '.', '-', single ':' separators)",
};
export const GROUP_NAME = { pattern: /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, describe: "a group name" };
export const CLIENT_ID = { pattern: /^[a-z0-9][a-z0-9_.-]{0,63}$/, describe: "a client id (lowercase letters, digits, '_', '.', '-')" };
export const REALM_NAME = { pattern: /^[a-z0-9][a-z0-9_-]{0,63}$/, describe: "a realm name (lowercase letters, digits, '_', '-')" };
export const ATTRIBUTE_NAME = { pattern: /^[a-z][a-z0-9_]{0,63}$/, describe: "an attribute name (lowercase letters, digits, '_')" };
export const TENANT = { pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, describe: "a tenant id" };
export const CLAIM_PATH = { pattern: /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, describe: "a claim name or dotted path" };
export const HEADER_NAME = { pattern: /^X-[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, describe: "a header name starting with X-" };
export const USERNAME = { pattern: /^[a-z0-9][a-z0-9_.@-]{0,63}$/, describe: "a username" };
export const EMAIL = { pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/, describe: "an email address" };
export const HOSTNAME = { pattern: /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/, describe: "a DNS hostname" };
export const IMAGE = { pattern: /^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$/, describe: "a container image reference" };
export const LABEL_KEY = /^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;
export const PEM_CERTIFICATE = { pattern: /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/, describe: "a PEM certificate" };
/** OAuth 2.0 scope tokens (RFC 6749 3.3), narrowed: they travel space-separated in `scope` and quoted in WWW-Authenticate. */
export const SCOPE_NAME = { pattern: /^[A-Za-z0-9][A-Za-z0-9_:.-]{0,63}$/, describe: "a scope name (letters, digits, '_', ':', '.', '-')" };
/** Short: object names append up to 22 characters to it (and a service name) within Kubernetes' 63. */
export const GATEWAY_NAME = { pattern: /^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/, describe: "a lowercase DNS label of at most 20 characters" };
