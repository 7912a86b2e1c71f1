import * as pulumi from "@pulumi/pulumi";
import { installRecorder, settle, unwrapSecrets, type ResourceRecorder } from "../../scripts/lib/mock-stack";

/** Starts Pulumi's mock runtime for a component test, with the recording mock. */
export function useRecorder(): Promise<ResourceRecorder> {
  return installRecorder("gateway-auth", "test");
}

/** Builds components inside the mock runtime and waits until every registration has landed. */
export async function build(recorder: ResourceRecorder, construct: () => void): Promise<ResourceRecorder> {
  construct();
  await settle(recorder);
  return recorder;
}

/** The value of an output (with `preview=false` every value is known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Whether an output is a secret. */
export function isSecret(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}

export { unwrapSecrets };
