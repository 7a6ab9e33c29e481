/**
 * deno-buttplug: a Buttplug protocol client and server for Deno and browsers.
 *
 * @module
 */
export * from "./protocol/mod.ts";
