import { stringify } from "yaml";
import { identityEndpoints, type IdentityEndpoints } from "../identity";
import { GATEWAY_PORTS, GATEWAY_UPSTREAM_TLS, workersFor, type AccessSpec } from "../access-spec";
import { renderDecisionsRule, renderHeaderStrippingRule, renderMetricsRule } from "./global-rules";
import { PLUGIN_ROOT, projectPluginFiles } from "./plugin";
import { renderApisixRoutes } from "./routes";
import { gatewaySecretEnv } from "./env";
import { TRUSTED_CA_BUNDLE, hasMtlsUpstreams, renderApisixSsls } from "./tls";
import { renderApisixUpstreams } from "./upstreams";
import { toApisixYaml } from "./yaml";
import { VERIFIED_TOKENS_DICT } from "./auth";

export interface ApisixRules {
  routes: ReturnType<typeof renderApisixRoutes>;
  upstreams: ReturnType<typeof renderApisixUpstreams>;
  global_rules: Array<{ id: string; plugins: Record<string, unknown> }>;
  ssls?: unknown[];
}

/** The declarative rules (`conf/apisix.yaml`) as data. */
export function renderApisixRules(spec: AccessSpec, endpoints: IdentityEndpoints = identityEndpoints(spec)): ApisixRules {
  const ssls = renderApisixSsls(spec);
  const rules: ApisixRules = {
    routes: renderApisixRoutes(spec, endpoints),
    upstreams: renderApisixUpstreams(spec),
    global_rules: [renderDecisionsRule(spec, endpoints), renderHeaderStrippingRule(spec), renderMetricsRule()],
    ...(ssls.length > 0 ? { ssls } : {}),
  };
  for (const [kind, items] of Object.entries(rules)) assertUniqueIds(kind, items as Array<{ id: unknown }>);
  return rules;
}

/** APISIX keeps one item per id; a clash (long names cut to 64 characters) would silently drop a rule. */
function assertUniqueIds(kind: string, items: Array<{ id: unknown }>): void {
  const seen = new Set<unknown>();
  for (const item of items) {
    if (seen.has(item.id)) throw new Error(`two APISIX ${kind} would share the id "${item.id}" (names cut to fit 64 characters): shorten a service name`);
    seen.add(item.id);
  }
}

/** Every plugin the rules use: `plugins:` in config.yaml replaces APISIX's default list, and a rule naming an unlisted plugin is rejected. */
export function pluginsUsed(rules: ApisixRules): string[] {
  const names = new Set<string>();
  for (const item of [...rules.routes, ...rules.global_rules]) Object.keys(item.plugins ?? {}).forEach((n) => names.add(n));
  return [...names].sort();
}

/**
 * Upstream mTLS, done by nginx for every https upstream, the same on
 * APISIX-Runtime and on plain nginx:
 *   - the gateway presents its client certificate, read from the mounted
 *     Secret (`proxy_ssl_certificate`): APISIX's own per-upstream client
 *     certificates need APISIX-Runtime and would put the key in the environment;
 *   - it verifies the service's certificate (APISIX 3.18 does not for http
 *     upstreams): against the CA from `apisix.ssl.ssl_trusted_certificate`
 *     (rendered as proxy_ssl_trusted_certificate), by the name
 *     `$upstream_host` (the service's DNS name, see `renderApisixUpstreams`).
 * Server level, so every proxying location inherits it.
 */
function upstreamMtls(spec: AccessSpec) {
  if (!hasMtlsUpstreams(spec)) return { ssl: {}, server: undefined };
  return {
    ssl: { ssl_trusted_certificate: TRUSTED_CA_BUNDLE },
    server: [
      "proxy_ssl_verify on;",
      "proxy_ssl_verify_depth 2;",
      `proxy_ssl_certificate ${GATEWAY_UPSTREAM_TLS.certFile};`,
      `proxy_ssl_certificate_key ${GATEWAY_UPSTREAM_TLS.keyFile};`,
    ].join("\n"),
  };
}

/**
 * Who may tell the gateway the client's address. APISIX's trust boundary
 * (`trusted_addresses`) drops an untrusted peer's X-Forwarded-For, so services
 * see the connection address nginx appends; nginx's realip module
 * (`real_ip_from`, APISIX's default trusts 127.0.0.1) would otherwise take a
 * loopback peer's X-Real-IP as the client. Both follow gateway.trustedProxies;
 * with none, an address no TCP peer can have (0.0.0.0; nginx reads 255.255.255.255 as a host name) stands in,
 * because an empty boundary means "keep every chain" to APISIX.
 */
const NO_TRUSTED_PEER = "0.0.0.0/32";
/** Says in the file what the sentinel means, where a reader meets it. */
const noTrustedPeerNote = (spec: AccessSpec) =>
  spec.gateway.trustedProxies.length > 0
    ? ""
    : `# ${NO_TRUSTED_PEER} under trusted_addresses and real_ip_from: no proxy is trusted (gateway.trustedProxies is empty). An empty list would make APISIX trust every chain.\n`;
const trustedPeers = (spec: AccessSpec) => (spec.gateway.trustedProxies.length > 0 ? [...spec.gateway.trustedProxies] : [NO_TRUSTED_PEER]);

/**
 * Requests nginx refuses itself, before APISIX runs (a malformed request
 * line or header, a duplicate Host, a URI or headers too long, TRACE): no
 * plugin sees them, so nginx writes their decision-log line, in the same
 * JSON shape (reason `refused_by_nginx`, the path left out: it is what nginx
 * could not parse). A request APISIX handled has $upstream_scheme set by its
 * location; these never reach a location. A server-level access_log
 * replaces the http-level one, so APISIX's own access log is declared again.
 */
export const NGINX_REFUSAL_REASON = "refused_by_nginx";
const ACCESS_LOG = "logs/access.log";
function nginxRefusals(spec: AccessSpec) {
  const line = [
    `"time":"$time_iso8601"`,
    `"route":null`,
    `"method":"$request_method"`,
    `"path":null`,
    `"status":$status`,
    `"decision":"deny"`,
    `"reason":"${NGINX_REFUSAL_REASON}"`,
    `"sub":null`,
    `"client_id":null`,
    `"tenant":null`,
    `"claims_from":null`,
    `"upstream_status":null`,
    `"latency_ms":null`,
    `"request_id":"$request_id"`,
  ].join(",");
  return {
    http: [`map $upstream_scheme $gateway_refused_by_nginx { "" 1; default 0; }`, `log_format gateway_refusals escape=json '{${line}}';`],
    server: [
      `access_log ${ACCESS_LOG} main buffer=16384 flush=3;`,
      `access_log ${spec.gateway.decisionLogPath} gateway_refusals if=$gateway_refused_by_nginx;`,
    ],
  };
}

/** `conf/config.yaml` as data: standalone data plane reading apisix.yaml, with exactly the plugins used. */
export function renderApisixConfig(spec: AccessSpec, rules: ApisixRules) {
  const mtls = upstreamMtls(spec);
  // nginx hides the environment from workers unless each variable is declared.
  const envs = gatewaySecretEnv(spec).map((e) => e.name);
  return {
    apisix: {
      node_listen: [GATEWAY_PORTS.http],
      enable_ipv6: false,
      extra_lua_path: `${PLUGIN_ROOT}/?.lua`,
      trusted_addresses: trustedPeers(spec),
      status: { ip: "0.0.0.0", port: GATEWAY_PORTS.status },
      ssl: { listen: [{ port: GATEWAY_PORTS.https }], ...mtls.ssl },
    },
    deployment: { role: "data_plane", role_data_plane: { config_provider: "yaml" } },
    plugins: pluginsUsed(rules),
    // Metrics leave the pod only when a scraper is declared (and admitted by NetworkPolicy).
    plugin_attr: {
      prometheus: {
        export_addr: { ip: spec.network.monitoring ? "0.0.0.0" : "127.0.0.1", port: GATEWAY_PORTS.metrics },
        // Decisions by route (a built-in label) and reason: gateway-decisions defines these variables.
        metrics: { http_status: { extra_labels: [{ decision: "$gateway_decision" }, { reason: "$gateway_reason" }] } },
      },
    },
    nginx_config: {
      // One per core the pod may use: `auto` would count the node's CPUs (docs/operations.md).
      worker_processes: workersFor(spec.gateway.resources.cpuLimit),
      ...(envs.length > 0 ? { envs } : {}),
      // A Keycloak access token (1-2 KB) outgrows nginx's 1 KB first header
      // buffer, so every authenticated request took the large-buffer path:
      // measured 7-10% of the gateway's throughput (one pinned worker, A/B of
      // 1 KB and 4 KB, 15 interleaved rounds; docs/benchmarks.md). Tokens
      // with many roles outgrow even 4 KB: large buffers up to 32 KB (not 400/431).
      http_configuration_snippet: ["client_header_buffer_size 4k; large_client_header_buffers 8 32k;", ...nginxRefusals(spec).http].join("\n"),
      http_server_configuration_snippet: [...(mtls.server ? [mtls.server] : []), ...nginxRefusals(spec).server].join("\n"),
      http: {
        // nginx drops headers spelled with underscores: X_User_Role would reach CGI/WSGI/Rack as HTTP_X_USER_ROLE.
        underscores_in_headers: "off",
        real_ip_from: trustedPeers(spec),
        // SNI and the verified name are $upstream_host: the service's DNS name (upstream_host).
        proxy_ssl_server_name: true,
        // lua-resty-openidc caches verified tokens here when the dict exists: one RS256 check per token, not per request.
        // gateway_auth: gateway-key-guard's refetch budget for unknown keys.
        // gateway_verified_tokens: the fast path's level shared by the workers (gateway.verifiedTokenCacheMegabytes).
        custom_lua_shared_dict: {
          jwt_verification: "10m",
          gateway_auth: "1m",
          ...(spec.gateway.verifiedTokenCacheMegabytes > 0 ? { [VERIFIED_TOKENS_DICT]: `${spec.gateway.verifiedTokenCacheMegabytes}m` } : {}),
        },
      },
    },
  };
}

/**
 * No anchors or aliases: the files stay plain for readers and for any YAML
 * parser. YAML 1.1 rules: APISIX reads YAML 1.1, where an unquoted `off` or
 * `yes` is a boolean; written this way such strings are quoted.
 */
export const APISIX_YAML_OPTIONS = { lineWidth: 0, sortMapEntries: false, aliasDuplicateObjects: false, version: "1.1" } as const;

/** The standalone files: `config.yaml`, `apisix.yaml` (ending with `#END`, or APISIX ignores it) and the plugin. */
export function renderGatewayFiles(spec: AccessSpec, endpoints: IdentityEndpoints = identityEndpoints(spec)): Record<string, string> {
  const rules = renderApisixRules(spec, endpoints);
  const header = "# Rendered by gateway-auth from the access spec. Do not edit: change the spec and render again.\n";
  return {
    "config.yaml": header + noTrustedPeerNote(spec) + stringify(renderApisixConfig(spec, rules), APISIX_YAML_OPTIONS),
    "apisix.yaml": header + toApisixYaml(rules as never) + "#END\n",
    ...projectPluginFiles(),
  };
}
