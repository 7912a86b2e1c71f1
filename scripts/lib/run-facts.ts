/** What every benchmark and drill prints about where it ran, and how it reads its numeric flags. */
import { spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";

/** `--name N` on the command line, or `fallback`; refuses anything but a positive number. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${process.argv[i + 1]}`);
  return value;
}

/** A `--name value` argument as text, or the fallback. */
export function stringArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** CPU count and model, memory, Node and nginx versions: figures from different machines are not comparable. */
export function machine(): string {
  const cpu = cpus();
  const runtimeVersion = spawnSync("nginx", ["-v"], { encoding: "utf8" }).stderr.trim();
  return `${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${runtimeVersion}`;
}
