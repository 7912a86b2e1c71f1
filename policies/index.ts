/**
 * The policy pack's entry: `pulumi preview --policy-pack ./policies`.
 * Constructing PolicyPack starts its server, so the rules live in ./rules
 * (tests import those) and only this file builds the pack.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("gateway-auth", { policies });
