import { stringify } from "yaml";
import { renderAccessMatrixMarkdown, renderGatewayFiles } from "../../components/gateway";
import { identityEndpoints } from "../../components/identity";
import { renderPkiSummary } from "../../components/mtls";
import { renderNetworkPolicies } from "../../components/network";
import { readStackSettings } from "../../components/spec";

/**
 * Files render writes beside resources.json, from the spec of the stack whose
 * config is loaded (the program has run, so config is in place): the APISIX
 * standalone files, the access matrix, the PKI summary (never keys) and the
 * NetworkPolicies.
 */
export function renderArtifacts(): Record<string, string> {
  const { spec } = readStackSettings();
  const gatewayFiles = renderGatewayFiles(spec, identityEndpoints(spec));
  return {
    "access-matrix.md": renderAccessMatrixMarkdown(spec),
    "pki.md": renderPkiSummary(spec),
    "network-policies.yaml": renderNetworkPolicies(spec).map((m) => stringify(m, { lineWidth: 0 })).join("---\n"),
    ...Object.fromEntries(Object.entries(gatewayFiles).map(([name, content]) => [`apisix/${name}`, content])),
  };
}
