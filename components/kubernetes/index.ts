export { type Manifest, createManifests, objectResourceName } from "./objects";
