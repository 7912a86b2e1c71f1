/**
 * The README's "A minimal spec" is a stack config that parses as written:
 * the least a stack says, with every default the parser fills in.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseAccessSpec } from "../../components/access-spec";
import { rawSpecFromConfig } from "../../program/stack-settings";

const README = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");

describe("the README's minimal spec", () => {
  it("parses as written, and renders a protected route", () => {
    const section = README.slice(README.indexOf("## A minimal spec"), README.indexOf("\n## ", README.indexOf("## A minimal spec") + 1));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const config = (parse(yaml!) as { config: Record<string, unknown> }).config;
    const get = (key: string) => {
      const value = config[`gateway-auth:${key}`];
      return value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
    };
    const spec = parseAccessSpec(rawSpecFromConfig(get));
    expect(spec.services[0].routes[0].rules.map((r) => r.roles)).toEqual([["viewer", "admin"], ["admin"]]);
  });
});
