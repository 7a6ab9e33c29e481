/**
 * The protocol registry: one line per protocol implementation, kept in alphabetical order.
 * Every exported `ProtocolImplementation` is registered under its `id` by
 * `../protocol_registry.ts`. See `README.md` beside this file for how to add a protocol.
 *
 * @module
 */
export { lovense } from "./lovense.ts";
export { satisfyer } from "./satisfyer.ts";
export { tcodeV03 } from "./tcode_v03.ts";
export { vorzeSa } from "./vorze_sa.ts";
export { wevibe } from "./wevibe.ts";
export { wevibe8bit } from "./wevibe.ts";
export { wevibeChorus } from "./wevibe.ts";
