/**
 * Kubernetes CPU quantities and the gateway's nginx worker count derived from
 * them: the components render `worker_processes` with it, the policy pack
 * checks a stack against it.
 */

/** Cores of a CPU quantity: cores (`1`, `0.5`) or millicores (`500m`); NaN for anything else. */
export function cpuCores(q: string): number {
  if (/^[0-9]+(\.[0-9]{1,3})?$/.test(q)) return Number(q);
  if (/^[1-9][0-9]*m$/.test(q)) return Number(q.slice(0, -1)) / 1000;
  return NaN;
}

/**
 * nginx workers for a CPU limit: one per core it allows, rounded up (1500m: 2).
 * nginx's `auto` counts the node's CPUs, not the container's share: on a
 * 64-core node a pod limited to one core would start 64 workers, each with
 * its own caches, throttled to one core between them.
 */
export const workersFor = (cpuLimit: string): number => Math.max(1, Math.ceil(cpuCores(cpuLimit) - 1e-9));
