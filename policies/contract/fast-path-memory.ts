// GENERATED from components/contract/ by `npm run sync:contract`: edit the source, not this copy.
/**
 * What the verified-token fast path may take of a gateway pod's memory, worst
 * case: every worker's level full of the largest entries it keeps, plus the
 * level shared by the workers. The access spec refuses a gateway whose memory
 * limit cannot hold it; the policy pack checks a stack's rendered config
 * against the same figures.
 */

/** Bytes in a MiB: nginx's `m` in a shared dict's size, and Kubernetes' `Mi`. */
export const MiB = 2 ** 20;

/**
 * Bytes one worker-level entry can take, worst case. A worker keeps tokens
 * whose Authorization header is at most 4096 bytes; `npm run
 * bench:fast-path-memory` measures a 4119-byte one (211 realm roles) at 8.3 KB
 * of live Lua memory with one rule's view. Doubled: LuaJIT collects a heap
 * when it has grown to twice what the last cycle left (its default pause of
 * 200 %), and a worker's resident memory followed that (about 6 KB per
 * 3.6 KB entry, measured with 2,000 against 10,000 entries held).
 */
export const WORKER_ENTRY_WORST_BYTES = 17 * 1024;

/** The share of the pod's memory limit the fast path may take; the rest is nginx, APISIX, the other caches and the garbage of requests in flight. */
export const FAST_PATH_SHARE_OF_MEMORY_LIMIT = 0.5;

export interface FastPathSizing {
  /** nginx workers in one pod, each with its own worker level. */
  workers: number;
  /** Entries each worker keeps (0: the fast path is off). */
  verifiedTokenCacheSize: number;
  /** The shared level, in MiB (0: off). */
  verifiedTokenCacheMegabytes: number;
}

/** Bytes the fast path can take in one pod when every level is full of the largest entries. */
export function fastPathWorstCaseBytes(s: FastPathSizing): number {
  return s.workers * s.verifiedTokenCacheSize * WORKER_ENTRY_WORST_BYTES + s.verifiedTokenCacheMegabytes * MiB;
}

/** Bytes of a memory limit the fast path may take. */
export function fastPathBudgetBytes(memoryLimitBytes: number): number {
  return Math.floor(memoryLimitBytes * FAST_PATH_SHARE_OF_MEMORY_LIMIT);
}

/** The most entries each worker may keep under a memory limit, with the shared level as it is (0 when the shared level alone is over budget). */
export function largestVerifiedTokenCacheSize(memoryLimitBytes: number, s: Omit<FastPathSizing, "verifiedTokenCacheSize">): number {
  const left = fastPathBudgetBytes(memoryLimitBytes) - s.verifiedTokenCacheMegabytes * MiB;
  return Math.max(0, Math.floor(left / (Math.max(1, s.workers) * WORKER_ENTRY_WORST_BYTES)));
}

/** The smallest memory limit, in whole MiB, that holds the fast path's worst case. */
export function smallestMemoryLimitMiB(s: FastPathSizing): number {
  return Math.ceil(fastPathWorstCaseBytes(s) / FAST_PATH_SHARE_OF_MEMORY_LIMIT / MiB);
}

/** Bytes as MiB with one decimal ("16.6 MiB"). */
export function formatMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}
