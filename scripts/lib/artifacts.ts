import { renderAccessMatrixMarkdown, renderGatewayFiles } from "../../components/gateway";
import { identityEndpoints } from "../../components/identity";
import { readStackSettings } from "../../components/spec";

/**
 * Files render writes beside resources.json, from the spec of the stack whose
 * config is loaded (the program has run, so config is in place): the APISIX
 * standalone files and the access matrix.
 */
export function renderArtifacts(): Record<string, string> {
  const { spec } = readStackSettings();
  const gatewayFiles = renderGatewayFiles(spec, identityEndpoints(spec));
  return {
    "access-matrix.md": renderAccessMatrixMarkdown(spec),
    ...Object.fromEntries(Object.entries(gatewayFiles).map(([name, content]) => [`apisix/${name}`, content])),
  };
}
