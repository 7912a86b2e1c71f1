/**
 * Regenerates the field reference in docs/configuration.md from the access
 * spec's declaration. Run `npm run schema:plugin` first when input.ts changed
 * (the reference reads the package schema Pulumi derives from it).
 */
import { CONFIGURATION_DOC, writeFieldReference } from "./lib/config-reference";

console.log(writeFieldReference() ? `wrote ${CONFIGURATION_DOC}` : `${CONFIGURATION_DOC} is current`);
