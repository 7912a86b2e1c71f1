import { describe, expect, it } from "vitest";
import { renderApisixConfig, renderApisixRules, renderGatewayFiles, renderGatewayManifests } from "../../components/gateway";
import { GATEWAY_UPSTREAM_TLS, serviceHost } from "../../components/access-spec";
import { TEST_CA_PEM } from "../fixtures/pem";
import { spec } from "../fixtures/raw-spec";

const s = spec();
const rules = renderApisixRules(s);
const config = renderApisixConfig(s, rules) as any;
const deployment = () => renderGatewayManifests(s, { files: renderGatewayFiles(s) }).find((m) => m.kind === "Deployment") as any;

describe("gateway -> service mTLS", () => {
  it("every mTLS service's upstream is https, named by its DNS name whatever its node resolves to", () => {
    const mtlsServices = s.services.filter((x) => x.mtls);
    expect(mtlsServices.length).toBeGreaterThan(0);
    for (const svc of mtlsServices) {
      const u = rules.upstreams.find((x) => x.id === `${svc.namespace}.${svc.name}`)!;
      expect(u).toMatchObject({ scheme: "https", pass_host: "rewrite", upstream_host: serviceHost(svc) });
    }
  });

  it("nginx presents the gateway's client certificate from the mounted Secret, for every proxying location", () => {
    const server: string = config.nginx_config.http_server_configuration_snippet;
    expect(server).toContain(`proxy_ssl_certificate ${GATEWAY_UPSTREAM_TLS.certFile};`);
    expect(server).toContain(`proxy_ssl_certificate_key ${GATEWAY_UPSTREAM_TLS.keyFile};`);
    // Server level, not one location: grpc, buffering and other named locations inherit it.
    expect(config.nginx_config.http_server_location_configuration_snippet).toBeUndefined();
    const pod = deployment().spec.template.spec;
    const volume = pod.volumes.find((v: any) => v.secret?.secretName === "apisix-upstream-mtls");
    expect(volume.secret.defaultMode).toBe(0o440);
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === volume.name);
    expect(mount).toEqual({ name: volume.name, mountPath: GATEWAY_UPSTREAM_TLS.mountPath, readOnly: true });
  });

  it("the key is in no ConfigMap, no rendered file and no environment variable", () => {
    for (const text of Object.values(renderGatewayFiles(s))) expect(text).not.toMatch(/PRIVATE KEY/);
    const env = deployment().spec.template.spec.containers[0].env ?? [];
    expect(env.filter((e: any) => e.valueFrom?.secretKeyRef?.name === "apisix-upstream-mtls")).toEqual([]);
    expect(rules.ssls ?? []).toEqual([]);
  });

  it("verifies the service's certificate against the mTLS CA, by the service's DNS name (proven by the native tier's impostor test)", () => {
    expect(config.apisix.ssl.ssl_trusted_certificate).toBe("/usr/local/apisix/conf/trusted-ca.crt");
    expect(config.nginx_config.http_server_configuration_snippet).toContain("proxy_ssl_verify on;");
    expect(config.nginx_config.http.proxy_ssl_server_name).toBe(true);
    const init = deployment().spec.template.spec.initContainers[0];
    expect(init.command[2]).toContain(`${GATEWAY_UPSTREAM_TLS.caFile} > /work-conf/trusted-ca.crt`);
  });

  it("a dev service that opts out is plain http, and then nothing TLS is rendered", () => {
    const plain = spec((r) => {
      r.environment = "dev";
      r.services[0].mtls = false;
    });
    const plainRules = renderApisixRules(plain);
    expect(plainRules.upstreams[0].scheme).toBe("http");
    expect(plainRules.ssls).toBeUndefined();
    expect((renderApisixConfig(plain, plainRules) as any).nginx_config.http_server_configuration_snippet).not.toMatch(/proxy_ssl/);
  });
});

describe("client -> gateway mTLS per host", () => {
  const withHost = spec((r) => {
    r.gateway.hostnames = ["api.example.com", "partners.example.com"];
    r.gateway.clientCertificateHosts = [{ host: "partners.example.com", caCertificate: TEST_CA_PEM, serverCertificateSecret: "partners-tls" }];
  });
  const hostRules = renderApisixRules(withHost);

  it("requires certificates from the named CA for that host", () => {
    const ssl = hostRules.ssls!.find((x: any) => x.snis?.includes("partners.example.com")) as any;
    expect(ssl.client.ca).toBe(TEST_CA_PEM.trim());
    expect(ssl.key).toMatch(/^\$env:\/\//);
  });

  it("refuses requests to that host without a verified client certificate on every route, above all other routes", () => {
    const guards = hostRules.routes.filter((r) => r.id.includes("client-cert"));
    expect(guards.map((g) => g.uri)).toEqual(["/api/orders/*", "/api/orders-health"]);
    for (const g of guards) {
      expect(g).toMatchObject({ hosts: ["partners.example.com"], vars: [["ssl_client_verify", "~=", "SUCCESS"]] });
      expect(g.priority).toBeGreaterThan(0);
      expect((g.plugins!.mocking as any).response_status).toBe(403);
    }
  });

  it("the host must be one of the gateway's hostnames", () => {
    expect(() =>
      spec((r) => (r.gateway.clientCertificateHosts = [{ host: "other.example.com", caCertificate: TEST_CA_PEM, serverCertificateSecret: "x" }])),
    ).toThrow(/gateway\.clientCertificateHosts\[0\]\.host: "other\.example\.com" is not one of gateway\.hostnames/);
  });
});

describe("who may tell the gateway the client's address", () => {
  it("nobody by default: an impossible peer stands in (an empty boundary would keep every caller's chain)", () => {
    const c = renderApisixConfig(s, rules) as any;
    expect(c.apisix.trusted_addresses).toEqual(["0.0.0.0/32"]);
    expect(c.nginx_config.http.real_ip_from).toEqual(["0.0.0.0/32"]);
    // ...and the file says so where a reader meets the sentinel.
    expect(renderGatewayFiles(s)["config.yaml"]).toMatch(/^# .*\n# 0\.0\.0\.0\/32 under trusted_addresses and real_ip_from: no proxy is trusted/);
  });

  it("the proxies the spec names, for both X-Forwarded-For and X-Real-IP", () => {
    const behind = spec((r) => (r.gateway.trustedProxies = ["10.0.0.0/8", "192.168.1.10"]));
    const c = renderApisixConfig(behind, renderApisixRules(behind)) as any;
    expect(c.apisix.trusted_addresses).toEqual(["10.0.0.0/8", "192.168.1.10"]);
    expect(c.nginx_config.http.real_ip_from).toEqual(["10.0.0.0/8", "192.168.1.10"]);
    expect(renderGatewayFiles(behind)["config.yaml"]).not.toContain("0.0.0.0/32");
  });

  it("refuses what is not an IPv4 address or CIDR block, with its path", () => {
    expect(() => spec((r) => (r.gateway.trustedProxies = ["10.0.0.0/33"]))).toThrow(
      /gateway\.trustedProxies\[0\]: "10\.0\.0\.0\/33" is not an IPv4 address or CIDR block/,
    );
    expect(() => spec((r) => (r.gateway.trustedProxies = ["proxy.local"]))).toThrow(
      /gateway\.trustedProxies\[0\]: "proxy\.local" is not an IPv4 address or CIDR block \(10\.0\.0\.0\/8\)/,
    );
  });
});

describe("metrics", () => {
  it("listen on the loopback only, unless a scraper is declared (network.monitoring)", () => {
    expect((renderApisixConfig(s, rules) as any).plugin_attr.prometheus.export_addr.ip).toBe("127.0.0.1");
    const scraped = spec((r) => (r.network = { monitoring: { namespace: "monitoring", podSelector: { app: "prometheus" }, ports: [9090] } }));
    expect((renderApisixConfig(scraped, renderApisixRules(scraped)) as any).plugin_attr.prometheus.export_addr.ip).toBe("0.0.0.0");
  });
});
