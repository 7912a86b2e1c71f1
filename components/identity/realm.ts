import type * as keycloak from "@pulumi/keycloak";
import type { input } from "@pulumi/keycloak/types";
import { formatGoDuration, type AccessSpec } from "../access-spec";

type RealmSettings = Omit<keycloak.RealmArgs, "realm">;

/**
 * The realm, hardened: SSL per environment, brute-force lockout, a password
 * policy, RS256, short access tokens, single-use refresh tokens, no
 * self-registration, and browser security headers.
 */
export function renderRealmSettings(spec: AccessSpec): RealmSettings {
  const { realm } = spec;
  return {
    enabled: true,
    displayName: realm.displayName,
    // Pins the issuer to the public URL whatever host a request reaches Keycloak by:
    // the gateway fetches keys in-cluster but must see the public `iss`.
    attributes: { frontendUrl: spec.keycloak.publicUrl },
    sslRequired: realm.sslRequired,
    passwordPolicy: realm.passwordPolicy,
    defaultSignatureAlgorithm: "RS256",
    // The provider parses realm durations with Go's time.ParseDuration: hours at most, never "1d".
    accessTokenLifespan: formatGoDuration(realm.tokens.accessTokenLifespan),
    ssoSessionIdleTimeout: formatGoDuration(realm.tokens.ssoSessionIdleTimeout),
    ssoSessionMaxLifespan: formatGoDuration(realm.tokens.ssoSessionMaxLifespan),
    // Refresh-token rotation: a refresh token works once; reuse revokes the session.
    revokeRefreshToken: true,
    refreshTokenMaxReuse: 0,
    registrationAllowed: false,
    editUsernameAllowed: false,
    duplicateEmailsAllowed: false,
    rememberMe: false,
    loginWithEmailAllowed: true,
    securityDefenses: {
      bruteForceDetection: {
        permanentLockout: false,
        maxLoginFailures: 5,
        waitIncrementSeconds: 60,
        maxFailureWaitSeconds: 900,
        failureResetTimeSeconds: 43200,
        quickLoginCheckMilliSeconds: 1000,
        minimumQuickLoginWaitSeconds: 60,
      },
      headers: {
        xFrameOptions: "DENY",
        contentSecurityPolicy: "frame-src 'self'; frame-ancestors 'none'; object-src 'none';",
        strictTransportSecurity: "max-age=31536000; includeSubDomains",
        xContentTypeOptions: "nosniff",
        xRobotsTag: "none",
        referrerPolicy: "no-referrer",
      },
    },
  };
}

const ADMIN_ONLY = { views: ["admin", "user"], edits: ["admin"] };
const SELF_SERVICE = { views: ["admin", "user"], edits: ["admin", "user"] };
const lengthValidator = (max: number, min = 1) => ({ name: "length", config: { min: String(min), max: String(max) } });

/**
 * The user profile. Keycloak 24+ drops undeclared attributes, so the tenant
 * attribute must be declared; declaring replaces the whole profile, so the
 * standard attributes are declared again. Only admins may change a tenant:
 * a user editing their own tenant would move between tenants at will.
 */
export function renderUserProfileAttributes(spec: AccessSpec): input.RealmUserProfileAttribute[] {
  return [
    {
      name: "username",
      displayName: "${username}",
      permissions: SELF_SERVICE,
      validators: [lengthValidator(255, 3), { name: "username-prohibited-characters" }, { name: "up-username-not-idn-homograph" }],
    },
    { name: "email", displayName: "${email}", permissions: SELF_SERVICE, validators: [{ name: "email" }, lengthValidator(255)] },
    {
      name: "firstName",
      displayName: "${firstName}",
      permissions: SELF_SERVICE,
      validators: [lengthValidator(255), { name: "person-name-prohibited-characters" }],
    },
    {
      name: "lastName",
      displayName: "${lastName}",
      permissions: SELF_SERVICE,
      validators: [lengthValidator(255), { name: "person-name-prohibited-characters" }],
    },
    { name: spec.realm.tenantAttribute, displayName: "Tenant", permissions: ADMIN_ONLY, validators: [lengthValidator(64)] },
  ];
}
