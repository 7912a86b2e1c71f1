import { resolve } from "node:path";
import { installRecorder, settle, type ResourceRecorder } from "./mock-stack";
import { loadStackConfig } from "./stack-config";

export const PROJECT_ROOT = resolve(__dirname, "..", "..");

/**
 * Runs the real program (`index.ts`) for a stack under Pulumi's mock runtime:
 * no CLI, cluster or credentials. Returns every resource it registered and
 * the program's exports. One stack per process: the program module runs once.
 */
export async function runStackUnderMocks(stack: string, root = PROJECT_ROOT): Promise<{ recorder: ResourceRecorder; exports: Record<string, unknown> }> {
  const { project, config, secretKeys } = loadStackConfig(root, stack);
  const recorder = await installRecorder(project, stack, config, secretKeys);
  const exports = (await import(resolve(root, "index.ts"))) as Record<string, unknown>;
  await settle(recorder);
  return { recorder, exports };
}
