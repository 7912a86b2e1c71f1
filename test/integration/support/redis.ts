/**
 * A real Redis server (Debian's redis-server) on a free loopback port, with a
 * password, for the rate-limit store tests. Nothing is persisted.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { waitFor } from "./gateway-runtime";
import { freePort } from "./ports";

export interface RunningRedis {
  port: number;
  password: string;
  /** Runs one command through redis-cli (authenticated) and returns its output. */
  cli(...args: string[]): string;
  stop(): Promise<void>;
}

export function redisServerProblem(): string | undefined {
  return spawnSync("sh", ["-c", "command -v redis-server && command -v redis-cli"]).status === 0 ? undefined : "redis-server or redis-cli is not on PATH (Debian package redis-server; .ci/run installs it)";
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
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--requirepass", password, "--save", "", "--appendonly", "no"], { stdio: "ignore" });
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
