import { describe, expect, it } from "vitest";
import { UPSTREAM_CLIENT_SSL_ID, renderApisixConfig, renderApisixRules, renderGatewayFiles, renderGatewayManifests } from "../../components/gateway";
import { GATEWAY_UPSTREAM_TLS } from "../../components/spec";
import { TEST_CA_PEM } from "../fixtures/pem";
import { spec } from "../fixtures/raw-spec";

const s = spec();
const rules = renderApisixRules(s);

describe("gateway -> service mTLS", () => {
  it("every mTLS service's upstream is https with the gateway's client certificate", () => {
    const mtlsServices = s.services.filter((x) => x.mtls);
    expect(mtlsServices.length).toBeGreaterThan(0);
    for (const u of rules.upstreams) expect(u).toMatchObject({ scheme: "https", tls: { client_cert_id: UPSTREAM_CLIENT_SSL_ID }, pass_host: "node" });
  });

  it("the client certificate and key are $env:// references, filled from the Secret, never inline", () => {
    const client = rules.ssls!.find((x: any) => x.id === UPSTREAM_CLIENT_SSL_ID) as any;
    expect(client).toEqual({ id: UPSTREAM_CLIENT_SSL_ID, type: "client", cert: `$env://${GATEWAY_UPSTREAM_TLS.certEnv}`, key: `$env://${GATEWAY_UPSTREAM_TLS.keyEnv}` });
    const deployment = renderGatewayManifests(s, { files: renderGatewayFiles(s) }).find((m) => m.kind === "Deployment") as any;
    const env = deployment.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: GATEWAY_UPSTREAM_TLS.keyEnv, valueFrom: { secretKeyRef: { name: GATEWAY_UPSTREAM_TLS.secretName, key: "tls.key" } } });
    expect(renderGatewayFiles(s)["apisix.yaml"]).not.toMatch(/PRIVATE KEY/);
  });

  it("declares the variables to nginx so workers can read them", () => {
    expect(renderApisixConfig(s, rules).nginx_config.envs).toEqual([GATEWAY_UPSTREAM_TLS.certEnv, GATEWAY_UPSTREAM_TLS.keyEnv]);
  });

  it("verifies the service's certificate against the mTLS CA, by the service's DNS name (unproven until the integration suite refuses an impostor)", () => {
    const config = renderApisixConfig(s, rules) as any;
    expect(config.apisix.ssl.ssl_trusted_certificate).toBe("/usr/local/apisix/conf/trusted-ca.crt");
    expect(config.nginx_config.http_server_location_configuration_snippet).toContain("proxy_ssl_verify on;");
    expect(config.nginx_config.http.proxy_ssl_server_name).toBe(true);
    const init = (renderGatewayManifests(s, { files: renderGatewayFiles(s) }).find((m) => m.kind === "Deployment") as any).spec.template.spec.initContainers[0];
    expect(init.command[2]).toContain(`${GATEWAY_UPSTREAM_TLS.caMountPath}/ca.crt > /work-conf/trusted-ca.crt`);
  });

  it("a dev service that opts out is plain http, and then nothing TLS is rendered", () => {
    const plain = spec((r) => {
      r.environment = "dev";
      r.services[0].mtls = false;
    });
    const plainRules = renderApisixRules(plain);
    expect(plainRules.upstreams[0].scheme).toBe("http");
    expect(plainRules.upstreams[0].tls).toBeUndefined();
    expect(plainRules.ssls).toBeUndefined();
    expect((renderApisixConfig(plain, plainRules) as any).nginx_config.http_server_location_configuration_snippet).toBeUndefined();
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
    expect(() => spec((r) => (r.gateway.clientCertificateHosts = [{ host: "other.example.com", caCertificate: TEST_CA_PEM, serverCertificateSecret: "x" }]))).toThrow(
      /gateway\.clientCertificateHosts\[0\]\.host: "other\.example\.com" is not one of gateway\.hostnames/,
    );
  });
});
