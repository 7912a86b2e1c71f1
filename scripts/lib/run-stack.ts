import { resolve } from "node:path";
import { installRecorder, settle, type ResourceRecorder } from "./mock-stack";
import { loadStackConfig, type StackConfig } from "./stack-config";

/** The stack's config with `patch` (key without namespace -> value) deep-merged in: a variant of an example stack. */
export function patchConfig(stack: StackConfig, patch: Record<string, unknown>): StackConfig {
  const merge = (base: unknown, over: unknown): unknown =>
    typeof base === "object" && base !== null && !Array.isArray(base) && typeof over === "object" && over !== null && !Array.isArray(over)
      ? Object.fromEntries(
          [...new Set([...Object.keys(base), ...Object.keys(over)])].map((k) => [k, k in over ? merge((base as any)[k], (over as any)[k]) : (base as any)[k]]),
        )
      : over;
  const config = { ...stack.config };
  for (const [key, value] of Object.entries(patch)) {
    const full = `${stack.project}:${key}`;
    const current = config[full] === undefined ? undefined : JSON.parse(config[full]);
    const merged = merge(current, value);
    config[full] = typeof merged === "string" ? merged : JSON.stringify(merged);
  }
  return { ...stack, config };
}

export const PROJECT_ROOT = resolve(__dirname, "..", "..");

/**
 * Runs the real program (`program/index.ts`) for a stack under Pulumi's mock runtime:
 * no CLI, cluster or credentials. Returns every resource it registered and
 * the program's exports. One stack per process: the program module runs once.
 */
export async function runStackUnderMocks(
  stack: string,
  root = PROJECT_ROOT,
  patch: Record<string, unknown> = {},
): Promise<{ recorder: ResourceRecorder; exports: Record<string, unknown> }> {
  const { project, config, secretKeys } = patchConfig(loadStackConfig(root, stack), patch);
  const recorder = await installRecorder(project, stack, config, secretKeys);
  const exports = (await import(resolve(root, "program", "index.ts"))) as Record<string, unknown>;
  await settle(recorder);
  return { recorder, exports };
}
