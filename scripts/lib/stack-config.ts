import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { parseAccessSpec, type AccessSpec, type RawAccessSpec } from "../../components/access-spec";
import { rawSpecFromConfig } from "../../program/stack-settings";

export interface StackConfig {
  project: string;
  stack: string;
  /** `namespace:key` -> value as Pulumi hands it to a program (objects as JSON text). */
  config: Record<string, string>;
  /** Keys whose value is a secret. Their values are placeholders here: render never decrypts. */
  secretKeys: string[];
}

/** Placeholder for a `secure:` value: render runs without the stack's secrets provider. */
export const SECRET_PLACEHOLDER = "[secret]";

/** Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI would hand them to the program. */
export function loadStackConfig(root: string, stack: string): StackConfig {
  const project = (parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name: string }).name;
  const file = join(root, `Pulumi.${stack}.yaml`);
  let doc: { config?: Record<string, unknown> };
  try {
    doc = parse(readFileSync(file, "utf8")) ?? {};
  } catch (e) {
    throw new Error(`cannot read stack config ${file}: ${(e as Error).message}`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(doc.config ?? {})) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    if (isSecure(value)) {
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { project, stack, config, secretKeys };
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && "secure" in value && Object.keys(value).length === 1;
}

/** The access spec of an example stack as the program hands it to the parser (not yet validated). */
export function loadRawStackSpec(root: string, stack: string): RawAccessSpec {
  const { project, config } = loadStackConfig(root, stack);
  return rawSpecFromConfig((key) => config[`${project}:${key}`]);
}

/** The validated access spec of an example stack, read the way the program reads it. */
export function loadStackSpec(root: string, stack: string): AccessSpec {
  return parseAccessSpec(loadRawStackSpec(root, stack));
}
