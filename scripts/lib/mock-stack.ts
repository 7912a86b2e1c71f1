import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";

/** One resource the program registered, as `pulumi up` would register it. */
export interface RecordedResource {
  type: string;
  name: string;
  /** Name of the parent resource; absent for the stack's direct children. */
  parent?: string;
  custom: boolean;
  inputs: Record<string, any>;
  /** Set once the engine answers the registration. */
  urn?: string;
  /** Input property -> URNs of the resources its value came from. */
  propertyDependencies: Record<string, string[]>;
  /**
   * Names of the resources `pulumi up` makes it wait for: explicit dependsOn
   * (a component expanded to its children) and every resource its inputs came from.
   */
  dependsOn: string[];
  /** The same, as URNs. */
  dependencyUrns: string[];
  /** `protect`: the engine refuses to delete it. */
  protect: boolean;
}

/** Pulumi's wire marker for a secret value (`{[SECRET_SIG]: SECRET_VALUE, value}`). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
export const REDACTED = "[secret]";

export function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** A copy with every secret value replaced by "[secret]". */
export function redactSecrets(v: unknown): unknown {
  if (isSecretValue(v)) return REDACTED;
  if (Array.isArray(v)) return v.map(redactSecrets);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactSecrets(x)]));
  return v;
}

/** Plain values of a recorded input (secrets unwrapped), for assertions on what a resource gets. */
export function unwrapSecrets(v: unknown): any {
  if (isSecretValue(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  return v;
}

/**
 * Outputs that real providers compute and programs read back (ids, generated
 * secrets, certificates). Outputs the providers mark secret are returned as
 * secrets here too, as the engine would.
 */
function providerComputedState(type: string, name: string): Record<string, unknown> {
  switch (type) {
    case "keycloak:openid/client:Client":
      return { clientSecret: pulumi.secret(`mock-client-secret-${name}`), serviceAccountUserId: `mock-sa-${name}` };
    case "random:index/randomPassword:RandomPassword":
      return { result: pulumi.secret(`mock-password-${name}`) };
    case "tls:index/privateKey:PrivateKey":
      return { privateKeyPem: pulumi.secret(`mock-private-key-${name}`), publicKeyPem: `mock-public-key-${name}` };
    case "tls:index/certRequest:CertRequest":
      return { certRequestPem: `mock-csr-${name}` };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { certPem: `mock-cert-${name}` };
    default:
      return {};
  }
}

/**
 * Pulumi mocks that record every registration and refuse what a real engine
 * would refuse: two resources of one type with one name (the mock itself does
 * not notice those).
 */
export class ResourceRecorder implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly errors: Error[] = [];
  private readonly parents = new Map<string, string>();
  private readonly propertyDeps = new Map<string, Record<string, string[]>>();
  private readonly dependencies = new Map<string, string[]>();
  private readonly protectedKeys = new Set<string>();

  /** What the registration request says beyond the mock's arguments: parent, dependencies, property dependencies. */
  noteRequest(type: string, name: string, parentUrn: string, dependencyUrns: string[], propertyDependencies: Record<string, string[]>, protect = false): void {
    if (protect) this.protectedKeys.add(`${type}::${name}`);
    if (parentUrn) this.parents.set(`${type}::${name}`, parentUrn.split("::").pop()!);
    this.propertyDeps.set(`${type}::${name}`, propertyDependencies);
    this.dependencies.set(`${type}::${name}`, [...new Set([...dependencyUrns, ...Object.values(propertyDependencies).flat()])].sort());
  }

  noteUrn(type: string, name: string, urn: string): void {
    const r = this.resources.find((x) => x.type === type && x.name === name);
    if (r) r.urn = urn;
  }

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    if (this.resources.some((r) => r.type === args.type && r.name === args.name)) {
      const err = new Error(`duplicate resource: ${args.type} named "${args.name}" is registered twice`);
      this.errors.push(err);
      throw err;
    }
    const key = `${args.type}::${args.name}`;
    this.resources.push({
      type: args.type,
      name: args.name,
      parent: this.parents.get(key),
      custom: args.custom ?? true,
      inputs: args.inputs,
      propertyDependencies: this.propertyDeps.get(key) ?? {},
      dependencyUrns: this.dependencies.get(key) ?? [],
      dependsOn: [...new Set((this.dependencies.get(key) ?? []).map((urn) => urn.split("::").pop()!))].sort(),
      protect: this.protectedKeys.has(key),
    });
    return { id: args.custom === false ? undefined : `${args.name}-id`, state: { ...args.inputs, ...providerComputedState(args.type, args.name) } };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    return args.inputs;
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  one(type: string, name: string): RecordedResource {
    const found = this.resources.find((r) => r.type === type && r.name === name);
    if (!found)
      throw new Error(
        `no ${type} named ${name}; have: ${this.ofType(type)
          .map((r) => r.name)
          .join(", ")}`,
      );
    return found;
  }
}

/** Installs the recorder as Pulumi's mock runtime, capturing parents from the registration requests. */
export async function installRecorder(
  project: string,
  stack: string,
  config: Record<string, string> = {},
  secretKeys: string[] = [],
): Promise<ResourceRecorder> {
  const recorder = new ResourceRecorder();
  pulumi.runtime.setAllConfig(config, secretKeys);
  await pulumi.runtime.setMocks(recorder, project, stack, false);
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: any, cb: (err: unknown, res: any) => void): Promise<void> };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const type = req.getType();
    const name = req.getName();
    const deps: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v: any, k: string) => (deps[k] = v.getUrnsList()));
    recorder.noteRequest(type, name, req.getParent(), req.getDependenciesList(), deps, req.getProtect());
    return register(req, (err, res) => {
      if (res) recorder.noteUrn(type, name, res.getUrn());
      cb(err, res);
    });
  };
  return recorder;
}

/** Waits until the program's registrations have drained (resources made in callbacks included). */
export async function settle(recorder: ResourceRecorder): Promise<void> {
  const waitForRPCs = (settings as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  let last = -1;
  while (last !== recorder.resources.length) {
    last = recorder.resources.length;
    if (waitForRPCs) await waitForRPCs();
    await new Promise((r) => setTimeout(r, 20));
  }
  if (recorder.errors.length > 0) throw recorder.errors[0];
}
