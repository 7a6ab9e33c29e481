/**
 * The protocol registry: one line per protocol implementation, kept in alphabetical order.
 * Every exported `ProtocolImplementation` is registered under its `id` by
 * `../protocol_registry.ts`. See `README.md` beside this file for how to add a protocol.
 *
 * @module
 */
export { joyhub } from "./joyhub.ts";
export { kgoalBoost } from "./kgoal_boost.ts";
export { kiirooPowershot } from "./kiiroo.ts";
export { kiirooProwand } from "./kiiroo.ts";
export { kiirooSpot } from "./kiiroo.ts";
export { kiirooV1 } from "./kiiroo_v1.ts";
export { kiirooV2 } from "./kiiroo_v2.ts";
export { kiirooV21 } from "./kiiroo_v21.ts";
export { kiirooV21Initialized } from "./kiiroo_v21.ts";
export { kiirooV2Vibrator } from "./kiiroo.ts";
export { kiirooV3 } from "./kiiroo_v21.ts";
export { kizuna } from "./kizuna.ts";
export { leloF1s } from "./lelo.ts";
export { leloF1sv2 } from "./lelo.ts";
export { leloHarmony } from "./lelo.ts";
export { leten } from "./leten.ts";
export { liboElle } from "./libo.ts";
export { liboShark } from "./libo.ts";
export { liboVibes } from "./libo.ts";
export { lioness } from "./lioness.ts";
export { loob } from "./loob.ts";
export { lovedistance } from "./lovedistance.ts";
export { lovehoneyDesire } from "./lovehoney_desire.ts";
export { lovense } from "./lovense.ts";
export { lovenseConnectService } from "./lovense_connect_service.ts";
export { lovenuts } from "./lovenuts.ts";
export { luvmazer } from "./luvmazer.ts";
export { magicMotion1 } from "./magic_motion.ts";
export { magicMotion2 } from "./magic_motion.ts";
export { magicMotion3 } from "./magic_motion.ts";
export { magicMotion4 } from "./magic_motion.ts";
export { mannuo } from "./mannuo.ts";
export { maxpro } from "./maxpro.ts";
export { meese } from "./meese.ts";
export { mizzzee } from "./mizzzee.ts";
export { mizzzeeV2 } from "./mizzzee.ts";
export { mizzzeeV3 } from "./mizzzee.ts";
export { monsterpub } from "./monsterpub.ts";
export { motorbunny } from "./motorbunny.ts";
export { muse } from "./muse.ts";
export { mymuselinkplus } from "./mymuselinkplus.ts";
export { mysteryvibe } from "./mysteryvibe.ts";
export { mysteryvibeV2 } from "./mysteryvibe.ts";
export { nextlevelracing } from "./nextlevelracing.ts";
export { nexusRevo } from "./nexus_revo.ts";
export { nintendoJoycon } from "./nintendo_joycon.ts";
export { nobra } from "./nobra.ts";
export { omobo } from "./omobo.ts";
export { patoo } from "./patoo.ts";
export { picobong } from "./picobong.ts";
export { pinkPunch } from "./pink_punch.ts";
export { prettylove } from "./prettylove.ts";
export { realov } from "./realov.ts";
export { sakuraneko } from "./sakuraneko.ts";
export { satisfyer } from "./satisfyer.ts";
export { sayberx } from "./sayberx.ts";
export { sensee } from "./sensee.ts";
export { senseeV2 } from "./sensee.ts";
export { serveu } from "./serveu.ts";
export { sexverseLg389 } from "./sexverse.ts";
export { sexverseV1 } from "./sexverse.ts";
export { sexverseV2 } from "./sexverse.ts";
export { sexverseV3 } from "./sexverse.ts";
export { sexverseV4 } from "./sexverse.ts";
export { sexverseV5 } from "./sexverse.ts";
export { tcodeV03 } from "./tcode_v03.ts";
export { vorzeSa } from "./vorze_sa.ts";
export { wevibe } from "./wevibe.ts";
export { wevibe8bit } from "./wevibe.ts";
export { wevibeChorus } from "./wevibe.ts";
