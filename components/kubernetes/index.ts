export { Manifest, createManifests, objectResourceName } from "./objects";
