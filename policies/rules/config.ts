import type { PolicyConfigSchema } from "@pulumi/policy";

export type PolicyEnvironment = "dev" | "staging" | "prod";

export interface EnvironmentConfig {
  /** Which stack this is; prod is the default, so a pack run without config is at its strictest. */
  environment: PolicyEnvironment;
  /** Longest access-token lifespan allowed, in seconds (default: 3600 in dev, 900 otherwise). */
  maxAccessTokenLifespanSeconds?: number;
}

/** Config every environment-aware rule takes: `pulumi preview --policy-pack ./policies --policy-pack-config policies/config.dev.json`. */
export const ENVIRONMENT_CONFIG: PolicyConfigSchema = {
  properties: {
    environment: { type: "string", enum: ["dev", "staging", "prod"], default: "prod" },
    maxAccessTokenLifespanSeconds: { type: "integer", minimum: 60 },
  },
};

export function environmentOf(config: Partial<EnvironmentConfig> | undefined): EnvironmentConfig {
  const environment = config?.environment ?? "prod";
  return { environment, maxAccessTokenLifespanSeconds: config?.maxAccessTokenLifespanSeconds ?? (environment === "dev" ? 3600 : 900) };
}
