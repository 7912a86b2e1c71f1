// Duration formats (Keycloak's "5m"/"1d", Go's "24h"): shared with the policy pack, which owns them so it can stand alone.
export * from "../contract/durations";
