/**
 * `node:crypto`, loaded on first use. Only three protocols need it (Fluffer and VibCrafter for
 * AES-128-ECB and SHA-256, HoneyPlayBox for MD5), and loading it pulls in Deno's Node
 * compatibility layer (~20 ms and several MiB), so the server loads it when such a device
 * initializes instead of at start-up.
 *
 * @module
 */
type NodeCrypto = typeof import("node:crypto");

let loaded: NodeCrypto | undefined;

/**
 * Loads `node:crypto` (once). Call it in a protocol's `initialize` before its encoders run.
 *
 * @example
 * ```ts
 * import { loadNodeCrypto, nodeCrypto } from "./_node_crypto.ts";
 * await loadNodeCrypto();
 * console.assert(nodeCrypto().createHash("md5").update("").digest("hex").length === 32);
 * ```
 */
export async function loadNodeCrypto(): Promise<NodeCrypto> {
  loaded ??= await import("node:crypto");
  return loaded;
}

/** The loaded `node:crypto`; throws if {@linkcode loadNodeCrypto} has not finished yet. */
export function nodeCrypto(): NodeCrypto {
  if (!loaded) throw new Error("node:crypto is not loaded yet: await loadNodeCrypto() first");
  return loaded;
}
