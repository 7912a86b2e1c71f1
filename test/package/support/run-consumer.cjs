// Runs a consumer's compiled program (argv[2]: the consumer directory,
// argv[3]: its entry) under Pulumi's mock runtime, with the consumer's OWN
// @pulumi/pulumi: the library must use that copy (a peer dependency), or the
// mocks would not see its resources. Prints one JSON line: every registered
// resource (type, name) and the program's export names.
const { createRequire } = require("node:module");
const path = require("node:path");

const dir = path.resolve(process.argv[2]);
const entry = path.join(dir, process.argv[3]);
const consumerRequire = createRequire(path.join(dir, "package.json"));
const pulumi = consumerRequire("@pulumi/pulumi");
const project = consumerRequire("./package.json").name;

const resources = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      resources.push({ type: args.type, name: args.name });
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  project,
  "dev",
  false,
);

process.chdir(dir);
const exported = consumerRequire(entry);

// Registrations land asynchronously: report once the count has been still for 500 ms.
let last = -1;
const timer = setInterval(() => {
  if (resources.length === last) {
    clearInterval(timer);
    console.log(JSON.stringify({ resources, exports: Object.keys(exported).sort() }));
  }
  last = resources.length;
}, 500);
