import * as pulumi from "@pulumi/pulumi";
import { parseAccessSpec } from "./load";
import { RawAccessSpec, SPEC_CONFIG_KEYS } from "./parse";
import type { AccessSpec } from "./types";

/** How the Keycloak provider logs in (an admin service-account client in the `master` realm by default). */
export interface KeycloakAdminSettings {
  url: string;
  realm: string;
  clientId: string;
  clientSecret: pulumi.Output<string>;
}

export interface StackSettings {
  spec: AccessSpec;
  keycloakAdmin: KeycloakAdminSettings;
}

/** Reads the stack's config once: the access spec plus the credentials the providers need. */
export function readStackSettings(config: pulumi.Config = new pulumi.Config()): StackSettings {
  const raw: RawAccessSpec = {};
  for (const key of SPEC_CONFIG_KEYS) raw[key] = key === "environment" ? config.get(key) : config.getObject(key);
  const spec = parseAccessSpec(raw);
  const admin = config.getObject<Record<string, string>>("keycloakAdmin") ?? {};
  return {
    spec,
    keycloakAdmin: {
      // The admin API is reached in-cluster unless a stack says otherwise.
      url: admin.url ?? spec.keycloak.internalUrl,
      realm: admin.realm ?? "master",
      clientId: admin.clientId ?? "pulumi-admin",
      clientSecret: config.requireSecret("keycloakAdminClientSecret"),
    },
  };
}
