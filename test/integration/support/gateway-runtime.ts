/**
 * Where the gateway tier runs APISIX 3.18.0: a native installation
 * (`APISIX_HOME`, e.g. the shared kit's /opt/apisix-native, or APISIX's own
 * deb/rpm packages) or the official Docker image. Both get exactly the files
 * the project renders; only what a cluster would provide differs, and is
 * adapted here in one place:
 *   - ports: each gateway listens on free loopback ports instead of 9080/9443;
 *   - cluster DNS: an upstream's nodes point at the loopback address of the
 *     test upstream that plays that service (its TLS name stays the service's
 *     DNS name, because the upstream renders `upstream_host`);
 *   - mounts: files the pod gets from Secrets and the init container;
 *   - the decision log: a file the test reads, instead of the pod's stdout.
 */
import { parse, stringify } from "yaml";
import { APISIX_YAML_OPTIONS, DECISIONS_PLUGIN } from "../../../components/gateway";
import { freePorts } from "./ports";
import { send } from "./http";

export type Address = { host: string; port: number };

export interface GatewayLaunch {
  /** The rendered files: config.yaml, apisix.yaml, plugins/<name>.lua. */
  files: Record<string, string>;
  /** Environment of the APISIX process (what the pod gets from Secrets through `env`). */
  env: Record<string, string>;
  /** Absolute path in the pod -> file content (Secret volumes, the init container's CA bundle). */
  mounts: Record<string, string>;
  /** Upstream node `host:port` as rendered -> where the test upstream playing it listens. */
  nodes: Record<string, Address>;
  /** A protected path: a 401 there without a token proves rules and plugins loaded. */
  readyPath: string;
  /** The Host that path is asked with, where routes name hostnames. */
  readyHost?: string;
  /** A name for logs and the instance folder. */
  name?: string;
  /**
   * Native only: the decision log is a FIFO read by a deliberately slow
   * reader (as container stdout can be), and decisionLog() returns what that
   * reader got. Lines longer than PIPE_BUF would interleave there.
   */
  decisionLogPipe?: boolean;
  /** Native only: listen on these ports (a local run whose app URLs name the port); free ones otherwise. */
  ports?: Partial<GatewayPorts>;
}

export interface RunningGateway {
  runtime: "native" | "docker";
  http: Address;
  https: Address;
  /** The error log so far (for diagnostics and log assertions). */
  errorLog(): Promise<string>;
  /** The decision log so far: one JSON line per request (gateway-decisions). */
  decisionLog(): Promise<string>;
  /** Where that log is written, where it is a file here (native). */
  decisionLogPath?: string;
  /** The Prometheus exposition, where the runtime exports data (the official image; the native kit has no privileged agent). */
  metrics?(): Promise<string>;
  /** nginx's access log so far, where the runtime keeps it in a file (native; the image sends it to stdout). */
  accessLog?(): Promise<string>;
  /** Native: rewrites the running instance's conf/apisix.yaml (standalone mode reloads it by itself within a second or so). */
  editRules?(edit: (files: Record<string, string>) => Record<string, string>): void;
  /**
   * Native: nginx's graceful stop (SIGQUIT, what the official image's stop
   * signal asks for): stop listening, finish every accepted request, exit.
   * Resolves when the master has exited. `stop()` still cleans up after it.
   */
  quit?(): Promise<void>;
  /** Native: the pids of nginx's worker processes (for memory figures). */
  workerPids?(): number[];
  /**
   * Native: replaces the project's plugin files (`plugins/<name>.lua` ->
   * source) and reloads nginx (new workers, the same shared dicts).
   * Resolves once only new workers serve.
   */
  reloadPlugins?(files: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export interface GatewayPorts {
  http: number;
  https: number;
  metrics: number;
  control: number;
}

export async function pickGatewayPorts(): Promise<GatewayPorts> {
  const [http, https, metrics, control] = await freePorts(4);
  return { http, https, metrics, control };
}

/** The rendered files with their APISIX rules (apisix.yaml, which must end with #END) changed by `edit`. */
export function editApisixRules(files: Record<string, string>, edit: (rules: Record<string, any>) => void): Record<string, string> {
  const rules = parse(files["apisix.yaml"].replace(/#END\s*$/, ""));
  edit(rules);
  return { ...files, "apisix.yaml": `${stringify(rules, APISIX_YAML_OPTIONS)}#END\n` };
}

/**
 * Two workers whatever the stack's CPU limit: what one worker remembers and the
 * others do not is part of what is tested. Applied to the rendered files before
 * a caller's edit, so one that wants another count (the pinned bench: one) has
 * the last word.
 */
export function withTwoWorkers(files: Record<string, string>): Record<string, string> {
  const config = parse(files["config.yaml"]);
  config.nginx_config.worker_processes = 2;
  return { ...files, "config.yaml": stringify(config, APISIX_YAML_OPTIONS) };
}

/**
 * The rendered files as a test host runs them: listening ports and upstream
 * nodes adapted (see above), everything else as rendered.
 */
export function adaptForTestHost(
  files: Record<string, string>,
  ports: GatewayPorts,
  nodes: Record<string, Address>,
  decisionLogPath: string,
): Record<string, string> {
  const config = parse(files["config.yaml"]);
  config.apisix.node_listen = [ports.http];
  config.apisix.ssl = { ...config.apisix.ssl, listen: [{ port: ports.https }] };
  if (config.plugin_attr?.prometheus?.export_addr) config.plugin_attr.prometheus.export_addr = { ip: "127.0.0.1", port: ports.metrics };
  if (config.apisix.status) config.apisix.status = { ...config.apisix.status, ip: "127.0.0.1" };
  // APISIX's control API (on by default, 127.0.0.1:9090): one port per gateway on a shared host.
  config.apisix.control = { ip: "127.0.0.1", port: ports.control };
  // nginx writes the decision-log lines of the requests it refuses itself: to the same file.
  const snippet = config.nginx_config?.http_server_configuration_snippet;
  const logged = /access_log (\S+) gateway_refusals/.exec(snippet ?? "");
  if (logged)
    config.nginx_config.http_server_configuration_snippet = snippet.replace(
      `access_log ${logged[1]} gateway_refusals`,
      `access_log ${decisionLogPath} gateway_refusals`,
    );

  return editApisixRules({ ...files, "config.yaml": stringify(config, APISIX_YAML_OPTIONS) }, (rules) => {
    for (const upstream of rules.upstreams ?? []) {
      upstream.nodes = Object.fromEntries(
        Object.entries(upstream.nodes as Record<string, number>).map(([node, weight]) => {
          const to = nodes[node];
          if (!to) throw new Error(`no test upstream plays ${node} (upstream ${upstream.id})`);
          return [`${to.host}:${to.port}`, weight];
        }),
      );
    }
    for (const rule of rules.global_rules ?? []) {
      if (rule.plugins?.[DECISIONS_PLUGIN]) rule.plugins[DECISIONS_PLUGIN].log_path = decisionLogPath;
    }
  });
}

/** Waits until `check` holds, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < timeoutMs) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
}

/** Whether `path` answers 401 without a token: rules and plugins are loaded. */
export async function answersUnauthenticated(address: Address, path: string, host?: string): Promise<boolean> {
  const reply = await Promise.race([
    send(address, "GET", path, host ? { host } : {}),
    new Promise<never>((_, fail) => setTimeout(() => fail(new Error("no answer in 2 s")), 2000)),
  ]);
  return reply.status === 401;
}
