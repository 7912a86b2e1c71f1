import { describe, expect, it } from "vitest";
import { reachedUpstream, send, waitUntil } from "../support/http";
import { kidOf } from "../support/tokens";
import type { Ctx } from "./context";

const PROBE_INTERVAL_MS = 2_000;
const MARGIN_S = 10;

/**
 * Key rotation: a token signed with a new key is accepted at once (an
 * unknown kid makes the gateway refetch the JWKS); after the old key leaves
 * the JWKS, tokens signed with it are refused within the JWKS cache time.
 * Each probe after the retirement uses a token the gateway has never seen,
 * so no probe is answered from the verification cache.
 */
export function describeKeyRotation(ctx: Ctx): void {
  describe("key rotation drill", () => {
    it(
      "new keys are trusted at once; retired keys stop being trusted within the JWKS cache time",
      async () => {
        const cache = ctx().spec.gateway.jwksCacheSeconds;
        const accepted = async (token: string) =>
          reachedUpstream(await send(ctx().gateway, "GET", "/api/orders/rotation", { authorization: `Bearer ${token}` }));
        const seen = await ctx().clientToken("caller-viewer");
        expect(await accepted(seen)).toBe(true);
        const oldKid = kidOf(seen);
        const unseen = await Promise.all(
          Array.from({ length: Math.ceil(((cache + MARGIN_S) * 1000) / PROBE_INTERVAL_MS) + 2 }, () => ctx().clientToken("caller-viewer")),
        );
        expect(unseen.every((t) => kidOf(t) === oldKid)).toBe(true);

        await ctx().keys.rotate();
        const fresh = await ctx().clientToken("caller-viewer");
        expect(kidOf(fresh)).not.toBe(oldKid);
        const newKeyAcceptedMs = await waitUntil(() => accepted(fresh), 5_000, 200);
        console.log(`[rotation] token signed with the new key accepted after ${newKeyAcceptedMs} ms`);
        expect(newKeyAcceptedMs).toBeGreaterThanOrEqual(0);

        // Keep the token verified before the retirement busy on the fast path (it never reaches openid-connect).
        expect(await accepted(seen)).toBe(true);
        const retiredAt = Date.now();
        await ctx().keys.retire(oldKid);
        // Each worker asks again at least once a second, so after the first refusal another worker may
        // still accept it for up to a second; after that, never.
        let warmRefusedAt = 0;
        let warmAcceptedAt = retiredAt;
        const warm = (async () => {
          while (Date.now() - retiredAt < (cache + MARGIN_S) * 1000) {
            const ok = await accepted(seen);
            if (ok) warmAcceptedAt = Date.now();
            else if (!warmRefusedAt) warmRefusedAt = Date.now();
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
        let next = 0;
        const refusedMs = await waitUntil(
          async () => (await send(ctx().gateway, "GET", "/api/orders/rotation", { authorization: `Bearer ${unseen[next++]}` })).status === 401,
          (cache + MARGIN_S) * 1000,
          PROBE_INTERVAL_MS,
        );
        await warm;
        const warmMs = warmRefusedAt ? warmRefusedAt - retiredAt : -1;
        const lastAcceptedMs = warmAcceptedAt - retiredAt;
        console.log(
          `[rotation] after retiring the old key: never-seen old-key tokens refused after ${refusedMs} ms (JWKS cache ${cache} s, ${next} probes); a token verified before and kept busy on the fast path first refused after ${warmMs} ms, last accepted ${lastAcceptedMs} ms after the retirement`,
        );
        expect(lastAcceptedMs, "accepted again more than a second after a worker refused it").toBeLessThanOrEqual(warmMs + 1500);
        expect(refusedMs, `old-key tokens still accepted ${cache + MARGIN_S} s after retirement`).toBeGreaterThanOrEqual(0);
        // The bound the README states: the cached JWKS is never older than half of jwksCacheSeconds (the key guard
        // refreshes it before it expires), plus a second of a worker's key verdict and the probes' spacing.
        const bound = (Math.floor(cache / 2) + 2) * 1000;
        expect(warmMs, "a token used before its key's retirement stayed accepted on the fast path").toBeGreaterThanOrEqual(0);
        expect(lastAcceptedMs, "a retired key's token busy on the fast path").toBeLessThanOrEqual(bound);
        expect(refusedMs, "never-seen tokens under a retired key").toBeLessThanOrEqual(bound);
        expect(next).toBeGreaterThan(0);
      },
      5 * 60_000,
    );
  });
}
