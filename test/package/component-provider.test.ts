/**
 * The multi-language component package (PulumiPlugin.yaml) without the
 * Pulumi CLI: the plugin host Pulumi runs starts and serves the checked-in
 * schema over gRPC; the schema is what Pulumi derives from the source; and
 * GatewayAuth built through the provider, from inputs encoded as the engine
 * sends them, registers exactly what building it directly registers.
 * Not proven here: `pulumi package add` and the SDKs it generates (needs the CLI).
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { GatewayAuth } from "../../components/gateway-auth";
import { generatePluginSchema, pluginProvider, PLUGIN_DIR, PLUGIN_SCHEMA_FILE } from "../../scripts/lib/plugin-schema";
import { rawSpec } from "../fixtures/raw-spec";
import { startPluginProcess, unary } from "../support/grpc-plugin";
import { build, useRecorder } from "../support/mocks";

// The generated gRPC stubs, and the SDK's own Construct input decoder (internal, so untyped).
const providerGrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const providerPb = require("@pulumi/pulumi/proto/provider_pb");
const { deserializeInputs } = require("@pulumi/pulumi/provider/server") as {
  deserializeInputs(inputs: Struct, deps: Map<string, unknown>): Promise<Record<string, unknown>>;
};

const ROOT = resolve(__dirname, "..", "..");
const TYPE = "gateway-auth:index:GatewayAuth";
const checkedIn = () => JSON.parse(readFileSync(PLUGIN_SCHEMA_FILE, "utf8"));

let host: ChildProcess | undefined;
afterAll(() => host?.kill());

/** Starts the plugin the way Pulumi's nodejs host does (cmd/run-plugin on the manifest's main) and returns its gRPC port. */
function startPluginHost(): Promise<number> {
  const manifest = parse(readFileSync(join(ROOT, "PulumiPlugin.yaml"), "utf8")) as { runtime: string; main: string };
  const started = startPluginProcess([require.resolve("@pulumi/pulumi/cmd/run-plugin"), "."], join(ROOT, manifest.main));
  host = started.child;
  return started.port;
}

describe("the component package", () => {
  it("names the plugin and version after the library (one package, one version)", () => {
    const lib = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const plugin = JSON.parse(readFileSync(join(PLUGIN_DIR, "package.json"), "utf8"));
    expect([plugin.name, plugin.version]).toEqual([lib.name, lib.version]);
    expect(parse(readFileSync(join(ROOT, "PulumiPlugin.yaml"), "utf8"))).toEqual({ runtime: "nodejs", main: "plugin/" });
  });

  it("has a checked-in schema equal to what Pulumi derives from the source (npm run schema:plugin)", async () => {
    expect(JSON.parse(await generatePluginSchema())).toEqual(checkedIn());
  });

  it("offers GatewayAuth with the spec as a plain, required, typed input and the stack outputs", () => {
    const schema = checkedIn();
    const resource = schema.resources[TYPE];
    expect(resource.isComponent).toBe(true);
    expect(resource.requiredInputs).toEqual(["spec"]);
    expect(resource.inputProperties.spec).toMatchObject({ $ref: "#/types/gateway-auth:index:AccessSpecInput", plain: true });
    // Typed to the leaves: the SDKs of other languages get every field, not a map of Any.
    const spec = schema.types["gateway-auth:index:AccessSpecInput"];
    expect(Object.keys(spec.properties)).toEqual([
      "environment",
      "keycloak",
      "realm",
      "clients",
      "services",
      "gateway",
      "mtls",
      "network",
      "apps",
      "seedUsers",
    ]);
    expect(JSON.stringify(schema.types)).not.toContain("pulumi.json#/Any");
    expect(Object.keys(resource.properties)).toEqual(
      expect.arrayContaining(["issuerUrl", "jwksUrl", "gatewayUrl", "serviceClientSecrets", "mtlsCaCertPem", "networkPolicyNames"]),
    );
  });

  it("starts as Pulumi starts it and serves that schema over gRPC", async () => {
    const port = await startPluginHost();
    const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const schema = await unary<any>(client, "getSchema", new providerPb.GetSchemaRequest());
    expect(JSON.parse(schema.getSchema())).toEqual(checkedIn());
    const info = await unary<any>(client, "getPluginInfo", new Empty());
    expect(info.getVersion()).toBe(checkedIn().version);
    client.close();
  }, 120_000);
});

/** Inputs as the engine hands them to Construct: serialized to a protobuf Struct, then decoded by the SDK's provider server. */
async function engineInputs(inputs: Record<string, unknown>) {
  const struct = Struct.fromJavaScript((await rpc.serializeProperties("test", inputs)) as any);
  return deserializeInputs(struct, new Map());
}

describe("GatewayAuth through the component provider", () => {
  it("registers the same resources with the same inputs as constructing it directly", async () => {
    const spec = rawSpec();
    const direct = await useRecorder();
    await build(direct, () => new GatewayAuth("shop", { spec, namePrefix: "edge-" }));
    const viaProvider = await useRecorder();
    const inputs = await engineInputs({ spec, namePrefix: "edge-" });
    await build(viaProvider, () => void pluginProvider().construct("shop", TYPE, inputs, {}));
    const shape = (r: { type: string; name: string; parent?: string; inputs: unknown }) => ({ type: r.type, name: r.name, parent: r.parent, inputs: r.inputs });
    expect(viaProvider.resources.length).toBeGreaterThan(30);
    expect(viaProvider.resources.map(shape)).toEqual(direct.resources.map(shape));
    expect(direct.one("gateway-auth:index:KeycloakIdentity", "edge-identity").parent).toBe("shop");
  });

  it("refuses a bad spec with the field's path, before registering anything", async () => {
    const rec = await useRecorder();
    const spec = rawSpec();
    spec.services[0].routes[0].rules[0].roles = ["nobody"];
    const inputs = await engineInputs({ spec });
    await expect(pluginProvider().construct("shop", TYPE, inputs, {})).rejects.toThrow(/services\[0\]\.routes\[0\]\.rules\[0\]\.roles\[0\].*nobody/);
    expect(rec.resources).toEqual([]);
  });
});
