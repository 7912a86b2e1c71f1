import { chooseGatewayRuntime, startGatewayTopology } from "./test/integration/support/gateway-topology";
import { TokenForge } from "./test/integration/support/tokens";
async function main() {
  const rt = await chooseGatewayRuntime();
  const t = await startGatewayTopology(rt.start!);
  try {
    const forge = new TokenForge({ issuer: t.idp.issuer, audience: "api-gateway" }, t.idp.testKey);
    const g = `http://127.0.0.1:${t.gateway.http.port}`;
    for (const [what, h] of [["none", {}], ["unknown kid", { authorization: `Bearer ${await forge.unknownKid()}` }], ["expired", { authorization: `Bearer ${await forge.expired()}` }]] as const) {
      const r = await fetch(`${g}/api/orders/x`, { headers: h as any });
      console.log(what, r.status, r.headers.get("www-authenticate"), (await r.text()).slice(0, 80).replace(/\n/g, " "));
    }
  } finally { await t.stop(); }
}
main();
