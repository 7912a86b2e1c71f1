// A stack of your own that uses gateway-auth as a library: the access spec is
// a file beside the program, the providers are yours.
import { readFileSync } from "node:fs";
import * as keycloak from "@pulumi/keycloak";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GatewayAuth, renderAccessMatrix, parseAccessSpec } from "gateway-auth";

const config = new pulumi.Config();
// Pulumi runs the program in the project directory.
const accessSpec = JSON.parse(readFileSync("access-spec.json", "utf8"));

const keycloakAdmin = new keycloak.Provider("keycloak", {
  url: config.require("keycloakUrl"),
  realm: "master",
  clientId: "pulumi",
  clientSecret: config.requireSecret("keycloakClientSecret"),
  basePath: "",
});
const cluster = new k8s.Provider("cluster", { context: config.get("kubernetesContext") });

const auth = new GatewayAuth("catalog", { spec: accessSpec }, { providers: { keycloak: keycloakAdmin, kubernetes: cluster } });

export const issuerUrl = auth.issuerUrl;
export const gatewayUrl = auth.gatewayUrl;
export const importerSecret = auth.serviceClientSecrets.apply((secrets) => secrets["importer"]);
// The pure renderers are part of the library too: who may call what.
export const accessMatrix = renderAccessMatrix(parseAccessSpec(accessSpec));
