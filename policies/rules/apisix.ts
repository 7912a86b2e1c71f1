import { parse } from "yaml";
import { TYPES, type StackResource } from "./types";

/** The declarative APISIX rules a ConfigMap carries (`apisix.yaml`), parsed; undefined for other ConfigMaps. */
export interface ApisixDocument {
  routes?: Array<Record<string, any>>;
  upstreams?: Array<Record<string, any>>;
  global_rules?: Array<Record<string, any>>;
  ssls?: Array<Record<string, any>>;
}

/**
 * Every rule reads the same few rendered files: each text is parsed once per
 * policy run (a 1,300-line apisix.yaml takes ~30 ms, times every rule) and
 * handed out frozen, so no rule can change what the next one reads.
 */
const parsedTexts = new Map<string, unknown>();
const PARSED_TEXTS_KEPT = 8;

function parsedOnce(text: string): unknown {
  let doc = parsedTexts.get(text);
  if (doc === undefined) {
    doc = deepFreeze(parse(text) ?? {});
    if (parsedTexts.size >= PARSED_TEXTS_KEPT) parsedTexts.delete(parsedTexts.keys().next().value as string);
    parsedTexts.set(text, doc);
  }
  return doc;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    Object.values(value).forEach(deepFreeze);
  }
  return value;
}

export function apisixDocumentOf(configMapProps: Record<string, any>): ApisixDocument | undefined {
  const text = configMapProps?.data?.["apisix.yaml"];
  if (typeof text !== "string") return undefined;
  return parsedOnce(text.replace(/#END\s*$/, "")) as ApisixDocument;
}

/** The gateway's `config.yaml` in the same ConfigMap, parsed (empty when absent). */
export function apisixConfigOf(configMapProps: Record<string, any>): Record<string, any> {
  const text = configMapProps?.data?.["config.yaml"];
  return typeof text === "string" ? (parsedOnce(text) as Record<string, any>) : {};
}

export interface GatewayConfig {
  resource: StackResource;
  namespace: string;
  doc: ApisixDocument;
  /** config.yaml beside the rules. */
  config: Record<string, any>;
}

/** nginx directives (name -> value) of config.yaml's server-level snippet, where upstream TLS is set for every proxying location. */
export function serverDirectives(config: Record<string, any>): Map<string, string> {
  const snippet = String(config.nginx_config?.http_server_configuration_snippet ?? "");
  return new Map(
    snippet
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((w) => w[0])
      .map((w) => [w[0], w.slice(1).join(" ")]),
  );
}

/** Every APISIX rule set in the stack, with the namespace its gateway runs in. */
export function gatewayConfigs(resources: StackResource[]): GatewayConfig[] {
  return resources
    .filter((r) => r.type === TYPES.configMap)
    .flatMap((r) => {
      const doc = apisixDocumentOf(r.props);
      return doc ? [{ resource: r, namespace: r.props.metadata?.namespace ?? "default", doc, config: apisixConfigOf(r.props) }] : [];
    });
}

/** Plugin configurations of one name across routes and global rules, with where each sits. */
export function pluginConfs(doc: ApisixDocument, plugin: string): Array<{ where: string; conf: Record<string, any> }> {
  const holders = [
    ...(doc.routes ?? []).map((r) => ({ where: `route ${r.id}`, r })),
    ...(doc.global_rules ?? []).map((r) => ({ where: `global rule ${r.id}`, r })),
  ];
  return holders.flatMap(({ where, r }) => (r.plugins?.[plugin] ? [{ where, conf: r.plugins[plugin] }] : []));
}

/** `<service>.<namespace>.svc[.cluster.local]:port` -> namespace. */
export function upstreamNamespaces(doc: ApisixDocument): Array<{ upstream: string; namespace: string }> {
  return (doc.upstreams ?? []).flatMap((u) =>
    Object.keys(u.nodes ?? {}).flatMap((node) => {
      const m = /^[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?(:\d+)?$/.exec(node);
      return m ? [{ upstream: String(u.id), namespace: m[1] }] : [];
    }),
  );
}
