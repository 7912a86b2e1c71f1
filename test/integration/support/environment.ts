import { spawnSync } from "node:child_process";
import { getContainerRuntimeClient, ImageName } from "testcontainers";

export const IMAGES = {
  keycloak: "quay.io/keycloak/keycloak:26.4",
  apisix: "apache/apisix:3.18.0-debian",
  whoami: "traefik/whoami:v1.11.0",
} as const;

export interface E2eEnvironment {
  ready: boolean;
  /** Why the suite cannot run here (one line per missing piece). */
  reason?: string;
}

function pulumiCli(): string | undefined {
  const res = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  return res.error || res.status !== 0 ? undefined : res.stdout.trim();
}

/**
 * Whether the integration suite can run: a container runtime, its images
 * (present or pullable) and the pulumi CLI (the realm is provisioned with the
 * Automation API). Only those absences skip the suite; any other error fails.
 * `GATEWAY_E2E=off` skips on purpose (e.g. the unit job of CI).
 */
export async function probeE2eEnvironment(): Promise<E2eEnvironment> {
  if (process.env.GATEWAY_E2E === "off") return { ready: false, reason: "disabled with GATEWAY_E2E=off" };
  const missing: string[] = [];
  if (!pulumiCli()) missing.push("the pulumi CLI is not on PATH (the suite provisions Keycloak with the Automation API)");
  let client: Awaited<ReturnType<typeof getContainerRuntimeClient>> | undefined;
  try {
    client = await getContainerRuntimeClient();
  } catch (e) {
    missing.push(`no container runtime: ${(e as Error).message}`);
  }
  if (client) {
    for (const image of Object.values(IMAGES)) {
      const name = ImageName.fromString(image);
      if (await client.image.exists(name)) continue;
      try {
        await client.image.pull(name);
      } catch (e) {
        missing.push(`image ${image} is absent and cannot be pulled: ${(e as Error).message.split("\n")[0]}`);
      }
    }
  }
  return missing.length === 0 ? { ready: true } : { ready: false, reason: missing.join("; ") };
}

/**
 * `GATEWAY_E2E_REQUIRED` turns skips into failures:
 *   - `native`: the gateway tier must run, on a native APISIX (CI here: the kit is beside the project);
 *   - `1`: both tiers must run, the gateway tier on any runtime (CI runners with Docker and the pulumi CLI).
 */
export const E2E_REQUIRED = process.env.GATEWAY_E2E_REQUIRED ?? "";
export const KEYCLOAK_TIER_REQUIRED = E2E_REQUIRED === "1";

/** Why the gateway tier breaks the requirement, if it does. */
export function gatewayTierProblem(kind: string | undefined, reason: string | undefined): string | undefined {
  if (E2E_REQUIRED === "native" && kind !== "native")
    return `GATEWAY_E2E_REQUIRED=native but the gateway tier ${kind ? `would run on ${kind}` : `cannot run: ${reason}`}`;
  if (E2E_REQUIRED === "1" && !kind) return `GATEWAY_E2E_REQUIRED=1 but the gateway tier cannot run: ${reason}`;
  return undefined;
}
