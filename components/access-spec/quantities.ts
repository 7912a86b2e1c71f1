/**
 * Kubernetes resource quantities, the two kinds the gateway's pods take: CPU
 * (cores or millicores) and memory (bytes, with a unit). Kept apart because a
 * memory unit on a CPU value ("256Mi" cores) or a milli on memory ("512m"
 * bytes) is valid Quantity syntax that schedules nothing or kills the pod.
 */
import { cpuCores, memoryBytes } from "../contract/quantities";
import type { SpecReader } from "./reader";

export { cpuCores, memoryBytes, workersFor } from "../contract/quantities";

export const CPU_QUANTITY = { pattern: /^([0-9]+(\.[0-9]{1,3})?|[1-9][0-9]*m)$/, describe: "a CPU quantity: cores (1, 0.5) or millicores (500m)" };
export const MEMORY_QUANTITY = { pattern: /^[1-9][0-9]*(Ki|Mi|Gi|Ti|k|M|G|T)?$/, describe: "a memory quantity: bytes with a unit (256Mi, 1Gi)" };

/** Kubernetes refuses a request above its limit, at deploy time: refused here instead, with both values. */
export function checkRequestWithinLimit(
  r: SpecReader,
  path: string,
  kind: "cpu" | "memory",
  resources: { cpuRequest: string; cpuLimit: string; memoryRequest: string; memoryLimit: string },
): void {
  const [request, limit, amount] =
    kind === "cpu" ? [resources.cpuRequest, resources.cpuLimit, cpuCores] : [resources.memoryRequest, resources.memoryLimit, memoryBytes];
  const field = kind === "cpu" ? "cpuRequest" : "memoryRequest";
  if (r.failedAt(`${path}.${field}`) || r.failedAt(`${path}.${kind}Limit`)) return;
  if (amount(request) > amount(limit)) {
    r.fail(`${path}.${field}`, `${request} is more than ${kind}Limit ${limit}: Kubernetes refuses a request above its limit`);
  }
}
