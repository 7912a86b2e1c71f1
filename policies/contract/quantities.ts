// GENERATED from components/contract/ by `npm run sync:contract`: edit the source, not this copy.
/**
 * Kubernetes CPU and memory quantities and the gateway's nginx worker count
 * derived from them: the components render `worker_processes` with it, the
 * policy pack checks a stack against it.
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

const MEMORY_UNITS: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Bytes of a memory quantity written as whole bytes with an optional unit (`512Mi`, `1G`); NaN for anything else. */
export function memoryBytes(q: string): number {
  const m = /^([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  return m ? Number(m[1]) * MEMORY_UNITS[m[2] ?? ""] : NaN;
}
