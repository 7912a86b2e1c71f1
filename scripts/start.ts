/**
 * npm start -- --stack <name> [--check] [--allow-prod-spec]
 *
 * Runs a stack's gateway on this machine (scripts/lib/local-gateway.ts) and
 * prints how to call it: a curl line with a fresh token for every role and
 * every service client, each app's sign-in URL and the seed users (dev), and
 * where the decision log is; then follows that log, one line per request,
 * until Ctrl-C, which stops everything it started and removes its files.
 * --check runs the access matrix's rows once instead, prints
 * `local: N of N matrix checks passed`, stops, and exits non-zero on a mismatch.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { renderAccessMatrix, callerLabel } from "../components/gateway";
import { appOfRoute } from "../components/access-spec";
import { parseDecisionLog, type Decision } from "../test/integration/support/decision-log";
import { checkAccessMatrix, requestPath } from "./lib/local-check";
import { LocalRunRefused, startLocalGateway, type LocalGateway } from "./lib/local-gateway";
import { PROJECT_ROOT } from "./lib/run-stack";

interface StartArgs {
  stack: string;
  check: boolean;
  allowProdSpec: boolean;
}

export function parseStartArgs(argv: string[]): StartArgs {
  const i = argv.indexOf("--stack");
  const stack = i >= 0 ? argv[i + 1] : undefined;
  const known = new Set(["--stack", "--check", "--allow-prod-spec"]);
  const unknown = argv.filter((a, j) => a.startsWith("--") && !known.has(a) && argv[j - 1] !== "--stack");
  if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack) || unknown.length > 0) {
    throw new LocalRunRefused(`usage: npm start -- --stack <name> [--check] [--allow-prod-spec] (got ${argv.join(" ") || "nothing"})`);
  }
  return { stack, check: argv.includes("--check"), allowProdSpec: argv.includes("--allow-prod-spec") };
}

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

function curlLine(local: LocalGateway, path: string, token: string): string {
  const host = local.hostFor(path);
  return [
    "curl -i",
    ...(host ? [`-H ${quote(`Host: ${host}`)}`] : []),
    `-H ${quote(`Authorization: Bearer ${token}`)}`,
    quote(`http://127.0.0.1:${local.gateway.http.port}${path}`),
  ].join(" ");
}

/** A GET the role may make (from the access matrix), else the first protected route. */
function pathFor(local: LocalGateway, role: string): string {
  const rows = renderAccessMatrix(local.spec).filter((e) => !appOfRoute(local.spec, { path: e.path }));
  const allowed = rows.find((e) => e.method === "GET" && e.caller.kind === "role" && e.caller.role === role && e.outcome.allow && !e.path.includes("{tenant}"));
  return requestPath((allowed ?? rows.find((e) => !e.outcome.allow) ?? rows[0]).path, callerLabel({ kind: "role", role }));
}

async function printHowToCall(local: LocalGateway): Promise<void> {
  const { spec } = local;
  console.log(
    `gateway: http://127.0.0.1:${local.gateway.http.port} (APISIX 3.18.0, ${local.gateway.runtime}); realm ${spec.realm.name} played at ${local.idp.issuer}`,
  );
  for (const note of local.notes) console.log(`note: ${note}`);
  console.log("\nA role's token (each holds that role and every scope; tokens live the realm's access-token lifespan):");
  for (const role of spec.realm.roles) {
    const path = pathFor(local, role.name);
    console.log(`# ${role.name}\n${curlLine(local, path, await local.tokenFor(role.name))}`);
  }
  if (spec.clients.service.length) console.log("\nService clients (client credentials, from the local provider):");
  for (const client of spec.clients.service) {
    const role = client.roles[0];
    console.log(`# ${client.clientId}\n${curlLine(local, pathFor(local, role ?? ""), await local.clientToken(client.clientId))}`);
  }
  for (const app of spec.apps) console.log(`\nApp ${app.name}: sign in at ${app.url}/ (its host, ${app.host}, must resolve to 127.0.0.1: *.localtest.me does)`);
  if (local.users.length) {
    console.log("\nSeed users (passwords generated for this run):");
    for (const u of local.users) console.log(`  ${u.username} / ${u.password}  (${u.roles.join(", ") || "no role"})`);
  }
  console.log(`\nDecision log: ${local.decisionLogPath ?? "the gateway container's stdout"}; followed below. Ctrl-C stops everything.`);
}

/** Prints each new decision as one line: time, decision, reason, method, path, status, who. */
function followDecisions(local: LocalGateway): () => void {
  const print = (d: Decision) =>
    console.log(
      `${d.time.slice(11, 19)} ${d.decision.padEnd(5)} ${d.reason.padEnd(18)} ${d.status} ${d.method} ${d.path} ${d.sub ?? "-"}${d.client_id ? ` (${d.client_id})` : ""}`,
    );
  // A file here (native): read only what was appended since, up to its last whole line. Else (a container's
  // stdout) the gateway's whole log, past the lines already printed.
  const path = local.decisionLogPath;
  let offset = 0;
  let printed = 0;
  const timer = setInterval(async () => {
    if (path) {
      const size = statSync(path).size;
      if (size <= offset) return;
      const fd = openSync(path, "r");
      const chunk = Buffer.alloc(size - offset);
      readSync(fd, chunk, 0, chunk.length, offset);
      closeSync(fd);
      const whole = chunk.lastIndexOf(0x0a) + 1;
      offset += whole;
      parseDecisionLog(chunk.subarray(0, whole).toString("utf8")).forEach(print);
      return;
    }
    const lines = parseDecisionLog(await local.gateway.decisionLog());
    lines.slice(printed).forEach(print);
    printed = lines.length;
  }, 500);
  return () => clearInterval(timer);
}

async function main(): Promise<void> {
  const args = parseStartArgs(process.argv.slice(2));
  console.log(`starting stack ${args.stack} locally...`);
  const local = await startLocalGateway({ stack: args.stack, root: PROJECT_ROOT, allowProdSpec: args.allowProdSpec });
  if (args.check) {
    for (const note of local.notes) console.log(`note: ${note}`);
    try {
      const { passed, failures } = await checkAccessMatrix(local);
      for (const f of failures) console.log(`MISMATCH ${f}`);
      console.log(`local: ${passed} of ${passed + failures.length} matrix checks passed`);
      process.exitCode = failures.length ? 1 : 0;
    } finally {
      await local.stop();
    }
    return;
  }
  await printHowToCall(local);
  const stopFollowing = followDecisions(local);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    stopFollowing();
    await local.stop();
    console.log("stopped: gateway, provider and services; their files removed");
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof LocalRunRefused ? e.message : e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}
