/**
 * A real Redis server (Debian's redis-server) on a free loopback port, with a
 * password, for the rate-limit store tests. Nothing is persisted.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { RATE_LIMIT_PASSWORD_ENV, RATE_LIMIT_PLUGIN, renderGatewayFiles } from "../../../components/gateway";
import { parseAccessSpec } from "../../../components/access-spec";
import { editApisixRules, waitFor, withTwoWorkers } from "./gateway-runtime";
import { freePort } from "./ports";
import { integrationRawSpec } from "./spec";

export interface RunningRedis {
  port: number;
  password: string;
  /** Runs one command through redis-cli (authenticated) and returns its output. */
  cli(...args: string[]): string;
  stop(): Promise<void>;
}

export function redisServerProblem(): string | undefined {
  return spawnSync("sh", ["-c", "command -v redis-server && command -v redis-cli"]).status === 0
    ? undefined
    : "redis-server or redis-cli is not on PATH (Debian package redis-server; .ci/run installs it)";
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });

export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort();
  const password = randomBytes(16).toString("hex");
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--requirepass", password, "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  await waitFor(`redis-server on ${port}`, 10_000, () => answers(port));
  return {
    port,
    password,
    cli: (...args) => spawnSync("redis-cli", ["-p", String(port), "--no-auth-warning", "-a", password, ...args], { encoding: "utf8" }).stdout.trim(),
    async stop() {
      child.kill();
    },
  };
}

/** Where the specs these tests render say the store is (cluster DNS); mapped to the test Redis on the host. */
export const STORE_HOST = "redis.rate-limits.svc.cluster.local";

/**
 * The integration spec's gateway files with `gateway.rateLimits.store: redis`
 * (whenUnavailable as given), its address pointed at `port` on this host as
 * cluster DNS would resolve the store's name. `edit` changes each rendered
 * limit-count configuration further (a benchmark raises the counts).
 */
export function redisStoreFiles(
  keycloakUrl: string,
  port: number,
  whenUnavailable: "deny" | "allow" = "deny",
  edit: (conf: Record<string, unknown>) => void = () => undefined,
): Record<string, string> {
  const raw = integrationRawSpec(keycloakUrl) as any;
  raw.gateway.rateLimits = {
    store: {
      type: "redis",
      address: `${STORE_HOST}:6379`,
      namespace: "rate-limits",
      passwordSecret: { name: "rate-limits-redis", key: "password" },
      whenUnavailable,
    },
  };
  return editRateLimits(withTwoWorkers(renderGatewayFiles(parseAccessSpec(raw))), (conf) => {
    if (conf.redis_host !== STORE_HOST || conf.redis_port !== 6379 || conf.redis_password !== `$env://${RATE_LIMIT_PASSWORD_ENV}`)
      throw new Error(`unexpected store in ${JSON.stringify(conf)}`);
    Object.assign(conf, { redis_host: "127.0.0.1", redis_port: port });
    edit(conf);
  });
}

/** Rendered files with every route's limit-count configuration changed by `edit`. */
export function editRateLimits(files: Record<string, string>, edit: (conf: Record<string, unknown>) => void): Record<string, string> {
  return editApisixRules(files, (rules) => {
    for (const route of rules.routes) if (route.plugins?.[RATE_LIMIT_PLUGIN]) edit(route.plugins[RATE_LIMIT_PLUGIN]);
  });
}
