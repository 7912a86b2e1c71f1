/**
 * npm run bench:render [-- --services 50 --routes 20]
 *
 * Renders a large spec (default 50 services x 20 routes) and prints the time
 * to validate and render, peak memory, the size of apisix.yaml, and how many
 * Pulumi resources the gateway component registers per route: routes live in
 * the rendered config, so that number must shrink towards 0 as routes grow.
 */
import { renderGatewayFiles } from "../components/gateway";
import { ApisixGateway } from "../components/gateway";
import { parseAccessSpec, type RawAccessSpec } from "../components/access-spec";
import { installRecorder, settle } from "./lib/mock-stack";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

export function largeRawSpec(services: number, routes: number): RawAccessSpec {
  return {
    environment: "prod",
    keycloak: { publicUrl: "https://auth.example.com", internalUrl: "http://keycloak.keycloak.svc:8080" },
    realm: {
      name: "bench",
      roles: ["reader", "writer", "admin"].map((name) => ({ name })),
      // Every rule's roles are granted to someone: a rule nobody can pass is refused.
      groups: [
        { name: "readers", roles: ["reader"] },
        { name: "editors", roles: ["reader", "writer"] },
      ],
    },
    clients: {
      gateway: { clientId: "api-gateway" },
      browser: [{ clientId: "web", redirectUris: ["https://app.example.com/cb"], webOrigins: ["https://app.example.com"] }],
    },
    services: Array.from({ length: services }, (_, s) => ({
      name: `svc-${s}`,
      namespace: `team-${s % 10}`,
      port: 8443,
      routes: Array.from({ length: routes }, (_, r) => ({
        path: `/api/svc-${s}/res-${r}/*`,
        rules: [
          { methods: ["GET", "HEAD"], roles: ["reader", "admin"] },
          { methods: ["POST", "PUT", "DELETE"], roles: ["writer", "admin"] },
        ],
      })),
    })),
  };
}

async function main(): Promise<void> {
  const services = arg("services", 50);
  const routesPer = arg("routes", 20);
  const raw = largeRawSpec(services, routesPer);
  let peak = process.memoryUsage().rss;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 5);

  const t0 = performance.now();
  const spec = parseAccessSpec(raw);
  const t1 = performance.now();
  const files = renderGatewayFiles(spec);
  const t2 = performance.now();
  sample();
  const renderPeak = peak;

  const count = async (s: typeof spec) => {
    const rec = await installRecorder("bench", "bench");
    // Placeholders: the bench counts resources; no certificate is parsed here.
    new ApisixGateway("gw", { spec: s, upstreamTls: { certPem: "bench-cert", keyPem: "bench-key", caCertPem: "bench-ca" } });
    await settle(rec);
    return rec.resources.length;
  };
  const resourcesLarge = await count(spec);
  const resourcesSmall = await count(parseAccessSpec(largeRawSpec(1, 1)));
  clearInterval(timer);
  sample();

  const routes = services * routesPer;
  console.log(`spec: ${services} services x ${routesPer} routes = ${routes} routes`);
  console.log(`validate: ${(t1 - t0).toFixed(1)} ms`);
  console.log(`render apisix files: ${(t2 - t1).toFixed(1)} ms (apisix.yaml ${(files["apisix.yaml"].length / 1024).toFixed(0)} KiB)`);
  console.log(
    `peak RSS: ${(renderPeak / 1024 / 1024).toFixed(0)} MiB validating and rendering, ${(peak / 1024 / 1024).toFixed(0)} MiB with the Pulumi component under mocks`,
  );
  console.log(`gateway resources: ${resourcesLarge} for ${routes} routes, ${resourcesSmall} for 1 route`);
  console.log(`resources per route: ${(resourcesLarge / routes).toFixed(4)} (growth with routes: ${resourcesLarge - resourcesSmall})`);
  const seconds = (t2 - t0) / 1000;
  const mib = renderPeak / 1024 / 1024;
  console.log(
    `bench:render: ${routes} routes validated and rendered in ${seconds.toFixed(2)} s, peak ${mib.toFixed(0)} MiB (goal <= 5 s and <= 500 MiB at 10,000 routes: ${routes >= 10_000 ? (seconds <= 5 && mib <= 500 ? "met" : "NOT met") : "not measured at this size"})`,
  );
}

if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
