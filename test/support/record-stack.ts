/**
 * tsx test/support/record-stack.ts <stack> [<config patch as JSON>]
 * Prints the stack's resources, as a policy pack sees them, as JSON. A child
 * process per stack: the program module runs once per process.
 */
import { runStackUnderMocks } from "../../scripts/lib/run-stack";
import { toStackResources } from "./policy-harness";

runStackUnderMocks(process.argv[2], undefined, JSON.parse(process.argv[3] ?? "{}")).then(
  ({ recorder }) => process.stdout.write(JSON.stringify(toStackResources(recorder))),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
