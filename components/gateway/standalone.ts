import { stringify } from "yaml";
import { identityEndpoints, type IdentityEndpoints } from "../identity";
import type { AccessSpec } from "../spec";
import { renderHeaderStrippingRule, renderMetricsRule } from "./global-rules";
import { IDENTITY_PLUGIN, PLUGIN_ROOT, identityPluginSource } from "./plugin";
import { renderApisixRoutes } from "./routes";
import { renderApisixUpstreams } from "./upstreams";

/** Ports of the APISIX container. */
export const GATEWAY_PORTS = { http: 9080, https: 9443, status: 7085, metrics: 9091 } as const;

export interface ApisixRules {
  routes: ReturnType<typeof renderApisixRoutes>;
  upstreams: ReturnType<typeof renderApisixUpstreams>;
  global_rules: Array<{ id: string; plugins: Record<string, unknown> }>;
  ssls?: unknown[];
}

/** The declarative rules (`conf/apisix.yaml`) as data. */
export function renderApisixRules(spec: AccessSpec, endpoints: IdentityEndpoints = identityEndpoints(spec)): ApisixRules {
  return {
    routes: renderApisixRoutes(spec, endpoints),
    upstreams: renderApisixUpstreams(spec),
    global_rules: [renderHeaderStrippingRule(spec), renderMetricsRule()],
  };
}

/** Every plugin the rules use: `plugins:` in config.yaml replaces APISIX's default list, and a rule naming an unlisted plugin is rejected. */
export function pluginsUsed(rules: ApisixRules): string[] {
  const names = new Set<string>();
  for (const item of [...rules.routes, ...rules.global_rules]) Object.keys(item.plugins ?? {}).forEach((n) => names.add(n));
  return [...names].sort();
}

/** `conf/config.yaml` as data: standalone data plane reading apisix.yaml, with exactly the plugins used. */
export function renderApisixConfig(rules: ApisixRules) {
  return {
    apisix: {
      node_listen: [GATEWAY_PORTS.http],
      enable_ipv6: false,
      extra_lua_path: `${PLUGIN_ROOT}/?.lua`,
      status: { ip: "0.0.0.0", port: GATEWAY_PORTS.status },
      ssl: { listen: [{ port: GATEWAY_PORTS.https }] },
    },
    deployment: { role: "data_plane", role_data_plane: { config_provider: "yaml" } },
    plugins: pluginsUsed(rules),
    plugin_attr: { prometheus: { export_addr: { ip: "0.0.0.0", port: GATEWAY_PORTS.metrics } } },
    nginx_config: {
      // Keycloak access tokens with many roles outgrow nginx's default header buffers (400/431).
      http_configuration_snippet: "large_client_header_buffers 8 32k;",
      http: {
        // lua-resty-openidc caches verified tokens here when the dict exists: one RS256 check per token, not per request.
        custom_lua_shared_dict: { jwt_verification: "10m" },
      },
    },
  };
}

// No anchors or aliases: the files stay plain for readers and for any YAML parser APISIX uses.
const YAML_OPTIONS = { lineWidth: 0, sortMapEntries: false, aliasDuplicateObjects: false } as const;

/** The standalone files: `config.yaml`, `apisix.yaml` (ending with `#END`, or APISIX ignores it) and the plugin. */
export function renderGatewayFiles(spec: AccessSpec, endpoints: IdentityEndpoints = identityEndpoints(spec)): Record<string, string> {
  const rules = renderApisixRules(spec, endpoints);
  const header = "# Rendered by gateway-auth from the access spec. Do not edit: change the spec and render again.\n";
  return {
    "config.yaml": header + stringify(renderApisixConfig(rules), YAML_OPTIONS),
    "apisix.yaml": header + stringify(rules, YAML_OPTIONS) + "#END\n",
    [`plugins/${IDENTITY_PLUGIN}.lua`]: identityPluginSource(),
  };
}
