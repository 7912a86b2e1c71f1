/**
 * APISIX 3.18.0 running natively (no container): an installation given by
 * APISIX_HOME (default /opt/apisix-native, where the shared kit installs it).
 * Each gateway is its own instance folder: `apisix/` and `deps/` link to the
 * installation, `conf/` and `logs/` are its own, and the pod's mounts live
 * under `root/` with the config's paths pointed there.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { APISIX_YAML_OPTIONS, PLUGIN_ROOT } from "../../../components/gateway";
import { adaptForTestHost, answersUnauthenticated, pickGatewayPorts, waitFor, type GatewayLaunch, type RunningGateway } from "./gateway-runtime";

const run = promisify(execFile);
export const DEFAULT_APISIX_HOME = "/opt/apisix-native";

export interface NativeApisix {
  home?: string;
  /** Why there is no usable native APISIX (when `home` is absent). */
  reason?: string;
}

/** A usable native APISIX: its CLI, its Lua code and an `openresty` (nginx with the Lua module) on PATH. */
export function findNativeApisix(): NativeApisix {
  const home = process.env.APISIX_HOME ?? DEFAULT_APISIX_HOME;
  if (!existsSync(join(home, "apisix", "cli", "apisix.lua")))
    return { reason: `no APISIX installation at ${home} (set APISIX_HOME, or run ../shared/native-apisix/install.sh)` };
  if (spawnSync("sh", ["-c", "command -v openresty && command -v luajit"]).status !== 0)
    return { reason: "openresty or luajit is not on PATH (the native kit installs both)" };
  return { home };
}

/**
 * What a config.yaml needs on Debian's nginx instead of APISIX-Runtime
 * (the kit's conf/native-config.yaml): no HTTP/2, the module lines, the
 * request-id map; and no status server (it needs the privileged agent).
 */
function adaptForNativeRuntime(configText: string, home: string, root: string, mountedPaths: string[]): string {
  // Paths of the pod point into the instance's root/ folder.
  let text = configText;
  for (const path of [PLUGIN_ROOT, ...mountedPaths]) text = text.split(path).join(join(root, path));
  const config = parse(text);
  const native = parse(readFileSync(join(home, "conf", "native-config.yaml"), "utf8"));
  config.apisix.enable_http2 = native.apisix.enable_http2;
  delete config.apisix.status;
  const snippets = config.nginx_config ?? (config.nginx_config = {});
  for (const key of ["main_configuration_snippet", "http_configuration_snippet"]) {
    snippets[key] = [snippets[key], native.nginx_config[key]].filter(Boolean).join("\n");
  }
  return stringify(config, APISIX_YAML_OPTIONS);
}

function linkInstallation(home: string, dir: string): void {
  for (const entry of ["apisix", "deps", "bin"]) symlinkSync(join(home, entry), join(dir, entry));
  // The installation's conf/ (mime.types, the placeholder certificate nginx needs to listen for TLS), then ours on top.
  cpSync(join(home, "conf"), join(dir, "conf"), { recursive: true });
  mkdirSync(join(dir, "logs"), { recursive: true });
}

function writeAt(path: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode });
}

/**
 * A FIFO at `fifo` and a reader that takes at most 512 bytes every 5 ms into
 * `readPath`: writers fill the pipe and block, as behind a slow log shipper.
 * Started before nginx, which opens the FIFO for writing at start.
 */
function slowPipeReader(fifo: string, readPath: string) {
  mkdirSync(dirname(fifo), { recursive: true });
  const made = spawnSync("mkfifo", ["-m", "0666", fifo]);
  if (made.status !== 0) throw new Error(`mkfifo ${fifo}: ${made.stderr}`);
  writeFileSync(readPath, "");
  const reader = spawn("sh", ["-c", `exec 3<>"${fifo}"; while :; do dd bs=512 count=1 <&3 2>/dev/null; sleep 0.005; done >> "${readPath}"`], {
    stdio: "ignore",
    detached: true,
  });
  return {
    readPath,
    stop: () => {
      try {
        process.kill(-reader.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    },
  };
}

/** nginx's worker processes under the master of `dir` (the cache loader/manager and privileged processes do not serve requests). */
function workerPidsOf(dir: string): number[] {
  const master = readFileSync(join(dir, "logs", "nginx.pid"), "utf8").trim();
  const children = spawnSync("pgrep", ["-P", master], { encoding: "utf8" }).stdout;
  return children
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return /worker process/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
      } catch {
        return false; // exited meanwhile
      }
    });
}

export async function startNativeGateway(home: string, launch: GatewayLaunch): Promise<RunningGateway> {
  const ports = { ...(await pickGatewayPorts()), ...launch.ports };
  const dir = mkdtempSync(join(tmpdir(), `apisix-${launch.name ?? "gateway"}-`));
  // nginx's workers run unprivileged: they read conf, plugins and the CA bundle (keys are read by the master).
  chmodSync(dir, 0o755);
  const root = join(dir, "root");
  linkInstallation(home, dir);
  const decisionLogPath = join(dir, "logs", "decisions.log");
  // nginx's workers (unprivileged) append to it; in the pod it is the container's stdout.
  const pipe = launch.decisionLogPipe ? slowPipeReader(decisionLogPath, join(dir, "logs", "decisions.read")) : undefined;
  if (!pipe) writeAt(decisionLogPath, "", 0o666);
  chmodSync(decisionLogPath, 0o666);
  const files = adaptForTestHost(launch.files, ports, launch.nodes, decisionLogPath);
  for (const [path, content] of Object.entries(launch.mounts)) writeAt(join(root, path), content, path.endsWith(".key") ? 0o600 : 0o644);
  for (const [name, content] of Object.entries(files)) {
    if (name.startsWith("plugins/")) writeAt(join(root, PLUGIN_ROOT, "apisix", name), content);
  }
  writeAt(join(dir, "conf", "config.yaml"), adaptForNativeRuntime(files["config.yaml"], home, root, Object.keys(launch.mounts)));
  writeAt(join(dir, "conf", "apisix.yaml"), files["apisix.yaml"]);

  const env = { ...process.env, ...launch.env };
  const cli = (command: string) => run("luajit", ["./apisix/cli/apisix.lua", command], { cwd: dir, env, timeout: 60_000 });
  const readLog = (path: string) => async () => (existsSync(path) ? readFileSync(path, "utf8") : "");
  const errorLog = readLog(join(dir, "logs", "error.log"));
  // `apisix start` exits 0 even when nginx refuses the config: its stderr says so.
  const started = await cli("start").catch((e) => ({ stdout: "", stderr: (e as Error).message }));
  // (The privileged-agent [error] is this runtime's documented limit: Prometheus exports no data.)
  const refusal = started.stderr.split("\n").find((l) => /\[emerg\]|failed|not found/i.test(l) && !/privileged.agent/.test(l));
  if (refusal) throw new Error(`native APISIX did not start in ${dir}: ${started.stderr}\n${await errorLog()}`);
  const http = { host: "127.0.0.1", port: ports.http };
  try {
    await waitFor(`native APISIX (${dir}) to answer 401 on ${launch.readyPath}`, 30_000, () =>
      answersUnauthenticated(http, launch.readyPath, launch.readyHost),
    );
  } catch (e) {
    await cli("stop").catch(() => undefined);
    throw new Error(`${(e as Error).message}\n${(await errorLog()).slice(-4000)}`);
  }
  return {
    runtime: "native",
    http,
    https: { host: "127.0.0.1", port: ports.https },
    errorLog,
    decisionLog: readLog(pipe ? pipe.readPath : decisionLogPath),
    decisionLogPath: pipe ? pipe.readPath : decisionLogPath,
    accessLog: readLog(join(dir, "logs", "access.log")),
    editRules: (edit) => {
      const path = join(dir, "conf", "apisix.yaml");
      writeAt(path, edit({ "apisix.yaml": readFileSync(path, "utf8") })["apisix.yaml"]);
    },
    workerPids: () => workerPidsOf(dir),
    async reloadPlugins(plugins) {
      const before = new Set(workerPidsOf(dir));
      for (const [name, content] of Object.entries(plugins)) {
        if (!name.startsWith("plugins/")) throw new Error(`reloadPlugins takes plugins/<name>.lua files, got ${name}`);
        writeAt(join(root, PLUGIN_ROOT, "apisix", name), content);
      }
      process.kill(Number(readFileSync(join(dir, "logs", "nginx.pid"), "utf8").trim()), "SIGHUP");
      await waitFor("native APISIX's reloaded workers", 30_000, async () => {
        const now = workerPidsOf(dir);
        return now.length > 0 && now.every((pid) => !before.has(pid));
      });
    },
    async quit() {
      await cli("quit");
      await waitFor("native APISIX to finish its requests and exit", 120_000, async () => !existsSync(join(dir, "logs", "nginx.pid")));
    },
    async stop() {
      if (existsSync(join(dir, "logs", "nginx.pid"))) await cli("quit").catch(() => cli("stop"));
      pipe?.stop();
      await waitFor("native APISIX to exit", 15_000, async () => !existsSync(join(dir, "logs", "nginx.pid"))).catch(() => undefined);
      if (!process.env.GATEWAY_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}
