import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { StackResource } from "../../policies/rules";
import { PROJECT_ROOT } from "../../scripts/lib/run-stack";

/** The resources the real program registers for an example stack, optionally with a config patch (run in a child process). */
export async function loadRecordedStack(stack: string, patch: Record<string, unknown> = {}): Promise<StackResource[]> {
  const tsx = join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
  const { stdout } = await promisify(execFile)(tsx, [join(PROJECT_ROOT, "test", "support", "record-stack.ts"), stack, JSON.stringify(patch)], {
    cwd: PROJECT_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}
