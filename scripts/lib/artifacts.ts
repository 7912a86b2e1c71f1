import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { renderAccessMatrixMarkdown, renderGatewayFiles } from "../../components/gateway";
import { identityEndpoints } from "../../components/identity";
import { renderPkiSummary } from "../../components/mtls";
import { renderNetworkPolicies } from "../../components/network";
import { readStackSettings } from "../../program/stack-settings";

/** Where the project's Lua plugins live: the same for every stack, so render writes no copy of them. */
const PLUGIN_SOURCES = "components/gateway/lua/apisix";

export interface RenderedArtifacts {
  /** Files render writes beside resources.json. */
  files: Record<string, string>;
  /** Whole files that resources carry (ConfigMap data) -> where a reviewer reads them. */
  references: Map<string, string>;
}

/**
 * Files render writes beside resources.json, from the spec of the stack whose
 * config is loaded (the program has run, so config is in place): the APISIX
 * standalone files (but the plugins, which are the repository's own), the
 * access matrix, the PKI summary (never keys) and the NetworkPolicies.
 */
export function renderArtifacts(): RenderedArtifacts {
  const { spec } = readStackSettings();
  const gatewayFiles = renderGatewayFiles(spec, identityEndpoints(spec));
  const references = new Map<string, string>();
  const files: Record<string, string> = {
    "access-matrix.md": renderAccessMatrixMarkdown(spec),
    "pki.md": renderPkiSummary(spec),
    "network-policies.yaml": renderNetworkPolicies(spec)
      .map((m) => stringify(m, { lineWidth: 0 }))
      .join("---\n"),
  };
  for (const [name, content] of Object.entries(gatewayFiles)) {
    const path = name.startsWith("plugins/") ? `${PLUGIN_SOURCES}/${name}` : `apisix/${name}`;
    if (!name.startsWith("plugins/")) files[path] = content;
    references.set(content, path);
  }
  return { files, references };
}

/**
 * `inputs` with every string that is a whole file render wrote (or a plugin
 * source) replaced by `[file <path>, sha256 <12 hex>]`: resources.json then
 * changes by one line where a file changes, and the file's own diff says how.
 */
export function referenceFiles<T>(inputs: T, references: Map<string, string>): T {
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") {
      const path = references.get(value);
      return path ? `[file ${path}, sha256 ${createHash("sha256").update(value).digest("hex").slice(0, 12)}]` : value;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(inputs) as T;
}
