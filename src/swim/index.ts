/** The pure SWIM + Lifeguard core: what the node runtime and the simulator import. */
export { SwimNode } from './swim-node.js';
export type { EventSource, MemberEvent, OutgoingPacket, SuspicionView, SwimNodeOptions, SwimReady, SwimStats } from './swim-node.js';
export { Roster, MembershipTable, isActive } from './membership-table.js';
export type { MemberMeta, MemberState, MemberView } from './membership-table.js';
export type { SwimMessage, SwimPacket, BroadcastMessage, PingMessage, AckMessage, NackMessage, PingReqMessage, AliveMessage, SuspectMessage, DeadMessage } from './messages.js';
export { parseSwimPacket, metaProblem, TAG_KEY_PATTERN } from './messages.js';
export type { PushPullState, PushPullMember } from './push-pull.js';
export { baseConfig, lanConfig, localConfig, wanConfig, validateSwimConfig, SWIM_PRESETS } from './swim-config.js';
export type { SwimConfig, SwimPresetName } from './swim-config.js';
