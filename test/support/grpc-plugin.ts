import { spawn, type ChildProcess } from "node:child_process";

/**
 * Starts a Pulumi plugin process as the CLI does (a provider or a policy
 * pack): it serves gRPC on a free loopback port and prints that port on
 * stdout. Resolves with the port; rejects with stderr if it exits first.
 */
export function startPluginProcess(args: string[], cwd: string): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(process.execPath, args, { cwd });
  const port = new Promise<number>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const found = /^(\d+)\s*$/m.exec(out);
      if (found) resolve(Number(found[1]));
    });
    child.stderr!.on("data", (d) => (err += d));
    child.on("exit", (code) => reject(new Error(`plugin process exited (${code}): ${err}`)));
  });
  return { child, port };
}

/** One unary call on a generated gRPC client, as a promise. */
export function unary<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((ok, fail) => client[method](request, (e: Error | null, res: T) => (e ? fail(e) : ok(res))));
}
