/**
 * npm run bench:route-table [-- --routes 10000 --seconds 5 --rounds 3]
 *
 * What a large route table costs the real gateway (native APISIX 3.18.0):
 * the auth chain's throughput on one route of the integration stack, with
 * and without `--routes` more protected routes loaded (each one the full
 * chain, as the spec renders them), interleaved rounds, medians; the time
 * each gateway takes to start (until it answers), and how long a changed
 * apisix.yaml of that size takes to be served (standalone mode reloads it).
 * Loopback only, bounded (seconds x rounds x 2). The last line is the summary.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { chooseGatewayRuntime, startGatewayTopology } from "../test/integration/support/gateway-topology";
import { editApisixRules, waitFor } from "../test/integration/support/gateway-runtime";
import { startNginxUpstream } from "../test/integration/support/nginx-upstream";
import { send } from "../test/integration/support/http";
import { clientCredentialsToken } from "../test/integration/support/tokens";
import { parseWrk } from "./bench-gateway";
import { renderGatewayFiles } from "../components/gateway";
import { cpus } from "node:os";

const run = promisify(execFile);
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `count` more protected routes, copies of the stack's first bearer rule under paths of their own. */
function withMoreRoutes(files: Record<string, string>, count: number, extra: Array<Record<string, unknown>> = []): Record<string, string> {
  return editApisixRules(files, (rules) => {
    const model = rules.routes.find((r: { id: string }) => r.id === "echo.api_orders_all.get-head");
    const more = Array.from({ length: count }, (_, i) => ({ ...model, id: `bench-${i}`, uri: `/api/bench-${Math.floor(i / 20)}/res-${i % 20}/*` }));
    rules.routes = [...rules.routes, ...more, ...extra];
  });
}

async function main(): Promise<void> {
  const routes = arg("routes", 10_000);
  const seconds = arg("seconds", 5);
  const rounds = arg("rounds", 3);
  const runtime = await chooseGatewayRuntime();
  if (runtime.kind !== "native") throw new Error(`bench:route-table needs the native gateway (reloading its files): ${runtime.reason ?? runtime.kind}`);
  const t = await startGatewayTopology(runtime.start!, { service: startNginxUpstream });
  try {
    const viewer = t.idp.model.clients.find((c) => c.clientId === "caller-viewer")!;
    const token = await clientCredentialsToken({ baseUrl: new URL(t.idp.issuer).origin, realm: t.spec.realm.name }, viewer.clientId, viewer.secret!);
    const timed = async (edit: (f: Record<string, string>) => Record<string, string>) => {
      const started = Date.now();
      const gateway = await t.startGateway(edit);
      return { gateway, startMs: Date.now() - started };
    };
    const small = await timed((f) => f);
    const large = await timed((f) => withMoreRoutes(f, routes));
    const wrk = async (port: number) =>
      parseWrk(
        (
          await run("wrk", ["-t1", "-c32", `-d${seconds}s`, "--latency", "-H", `Authorization: Bearer ${token}`, `http://127.0.0.1:${port}/api/orders/bench`], {
            timeout: (seconds + 30) * 1000,
          })
        ).stdout,
      );
    for (const g of [small, large]) await wrk(g.gateway.http.port); // warm-up
    const ratios: number[] = [];
    const rps = { small: [] as number[], large: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const a = await wrk(small.gateway.http.port);
      const b = await wrk(large.gateway.http.port);
      rps.small.push(a.rps);
      rps.large.push(b.rps);
      ratios.push(b.rps / a.rps);
    }
    // Reload: the running large table plus one public route; served once standalone mode has read the file again.
    // The public route's upstream, as rendered (the probe reaches the same service).
    const upstreamOfModel = /upstream_id: "?([^"\s]+)"?/.exec(renderGatewayFiles(t.spec)["apisix.yaml"])?.[1] ?? "echo";
    const probe = { id: "reload-probe", uri: "/api/reload-probe", methods: ["GET"], upstream_id: upstreamOfModel, labels: { access: "public" }, plugins: {} };
    const reloadStarted = Date.now();
    large.gateway.editRules!((files) => withMoreRoutes(files, 0, [probe]));
    await waitFor("the reloaded route table", 120_000, async () => (await send(large.gateway.http, "GET", "/api/reload-probe", {})).status === 200);
    const reloadMs = Date.now() - reloadStarted;
    const ratio = median(ratios);
    console.log(
      `machine: ${cpus().length} x ${cpus()[0]?.model}; native APISIX 3.18.0, two workers (the test host's), unpinned; wrk -t1 -c32, ${rounds} rounds x ${seconds} s, medians`,
    );
    console.log(
      `auth chain with the integration stack's routes: ${median(rps.small).toFixed(0)} req/s; with ${routes} more routes: ${median(rps.large).toFixed(0)} req/s (rounds: ${ratios.map((x) => x.toFixed(3)).join(", ")})`,
    );
    console.log(`start until answering: ${small.startMs} ms (small table), ${large.startMs} ms (large); a changed large table served after ${reloadMs} ms`);
    console.log(
      `route table bench: ${routes} routes keep ${ratio.toFixed(3)} of the auth chain's throughput (target >= 0.95: ${ratio >= 0.95 ? "met" : "NOT met"}); start ${large.startMs} ms; reload ${reloadMs} ms`,
    );
  } finally {
    await t.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
