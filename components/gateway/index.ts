export { ApisixGateway, type ApisixGatewayArgs } from "./component";
export { renderGatewayFiles, renderApisixRules, renderApisixConfig, pluginsUsed, APISIX_YAML_OPTIONS, type ApisixRules } from "./standalone";
export { renderApisixRoutes, type ApisixRoute, type RouteAccessLabel, METHOD_NOT_ALLOWED } from "./routes";
export { renderApisixUpstreams, upstreamId, longestUpstreamRequestSeconds, type ApisixUpstream } from "./upstreams";
export { renderHeaderStrippingRule, renderDecisionsRule, HEADER_STRIPPING_RULE_ID, DECISIONS_RULE_ID } from "./global-rules";
export { renderRateLimitConf, RATE_LIMIT_PLUGIN, RATE_KEY_VAR, RATE_LIMIT_PASSWORD_ENV, type RateLimitCaller } from "./rate-limits";
export { renderKeyGuardConf, renderOpenidConnectConf, renderSessionOpenidConnectConf, jwksCacheConf, type UnauthenticatedAction } from "./auth";
export { gatewaySecretEnv, browserSessionEnv, tlsEnv, rateLimitStoreEnv, type SecretEnvVar } from "./env";
export { renderCorsConf } from "./cors";
export {
  renderIdentityPluginConf,
  type RuleAccess,
  projectPluginFiles,
  managedIdentityHeaders,
  IDENTITY_PLUGIN,
  KEY_GUARD_PLUGIN,
  DECISIONS_PLUGIN,
  REQUEST_GUARD_PLUGIN,
  PROJECT_PLUGINS,
  PLUGIN_ROOT,
  type IdentityPluginConf,
} from "./plugin";
export { renderGatewayManifests, renderBrowserSessionSecret, configChecksum, gatewayDrain, CONFIG_CHECKSUM_ANNOTATION } from "./manifests";
export {
  REFUSALS,
  renderAccessMatrix,
  renderAccessMatrixMarkdown,
  matrixCallers,
  matrixMethods,
  callerLabel,
  type AccessMatrixEntry,
  type Caller,
  type Outcome,
} from "./access-matrix";
export { renderApisixSsls, hostCertificateEnv, hasMtlsUpstreams, TRUSTED_CA_BUNDLE } from "./tls";
