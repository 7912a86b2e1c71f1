/**
 * A small YAML writer for `apisix.yaml`, whose size grows with the routes
 * (10,000 routes are about 45 MB): the `yaml` package took 9 s for that,
 * this takes well under one. Block style, no anchors, and every string that
 * YAML 1.1 (APISIX's lyaml) could read as anything else (`on`, `no`, `1e3`,
 * `~`, a leading `$` or `*`, `: ` or ` #` inside) double-quoted with JSON
 * escapes, which YAML double-quoted scalars share.
 */

type Value = null | undefined | boolean | number | string | Value[] | { [key: string]: Value };

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@+-]*$/;
/** YAML 1.1 booleans and nulls, in every spelling its resolvers accept. */
const SPECIAL = /^(y|yes|n|no|true|false|on|off|null|nan|inf)$/i;

function scalar(value: string): string {
  return PLAIN.test(value) && !SPECIAL.test(value) ? value : JSON.stringify(value);
}

const key = (k: string) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) && !SPECIAL.test(k) ? k : JSON.stringify(k));

function isComposite(v: Value): v is Value[] | { [key: string]: Value } {
  return typeof v === "object" && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function leaf(v: Value): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} to apisix.yaml`);
    return String(v);
  }
  if (typeof v === "string") return scalar(v);
  return Array.isArray(v) ? "[]" : "{}";
}

function write(v: Value, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isComposite(item)) {
        const inner: string[] = [];
        write(item, `${indent}  `, inner);
        // The first line of the item goes after "- ".
        out.push(`${indent}- ${inner[0].slice(indent.length + 2)}`, ...inner.slice(1));
      } else out.push(`${indent}- ${leaf(item)}`);
    }
    return;
  }
  for (const [k, item] of Object.entries(v as { [key: string]: Value })) {
    if (item === undefined) continue;
    if (isComposite(item)) {
      out.push(`${indent}${key(k)}:`);
      write(item, Array.isArray(item) ? indent : `${indent}  `, out);
    } else out.push(`${indent}${key(k)}: ${leaf(item)}`);
  }
}

/**
 * A document as YAML, block style; `value` is plain data (objects, arrays,
 * strings, finite numbers, booleans, null). Written one top-level list item
 * at a time, so only one item's lines are held at once (10,000 routes).
 */
export function toApisixYaml(value: Value): string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const out: string[] = [];
    write(value, "", out);
    return `${out.join("\n")}\n`;
  }
  const chunks: string[] = [];
  for (const [k, item] of Object.entries(value)) {
    if (item === undefined) continue;
    if (!Array.isArray(item) || item.length === 0) {
      const out: string[] = [];
      write({ [k]: item }, "", out);
      chunks.push(out.join("\n"));
      continue;
    }
    chunks.push(`${key(k)}:`);
    for (const element of item) {
      const out: string[] = [];
      write([element], "", out);
      chunks.push(out.join("\n"));
    }
  }
  return `${chunks.join("\n")}\n`;
}
