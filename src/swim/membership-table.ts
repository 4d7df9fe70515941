import type { Random } from '../random/random.js';

/** A member's state as one node sees it. `left` is `dead` with the member's own intent (a graceful leave). */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/**
 * User key/values spread with a member's alive messages: join time (the emergent-leader rule uses it), tags, and
 * anything JSON (health summary, config version). Changing it bumps the owner's incarnation. Treat as immutable:
 * the same object may be shared by many nodes in the simulator.
 */
export interface MemberMeta {
  joinedAtMs: number;
  tags: Record<string, string>;
  [key: string]: unknown;
}

/** One member as the local view holds it. Records are immutable: a change replaces the record. */
export interface MemberView {
  readonly id: string;
  readonly address: string;
  readonly state: MemberState;
  readonly incarnation: number;
  readonly meta: MemberMeta;
  /** Monotonic time (local clock) of the last state change; the roster's members carry the roster's time. */
  readonly stateChangedAtMs: number;
}

/** Whether a state counts toward n (cluster size estimate): alive or suspect. */
export function isActive(state: MemberState): boolean {
  return state === 'alive' || state === 'suspect';
}

/**
 * A read-only set of members shared by many nodes at start (copy-on-write). The simulator uses it to start 10,000
 * nodes in a converged state without 10^8 records; production nodes start from join() instead.
 */
export class Roster {
  readonly records: readonly MemberView[];
  readonly indexById: ReadonlyMap<string, number>;
  readonly activeCount: number;
  readonly inactiveIds: readonly string[];

  constructor(records: readonly MemberView[]) {
    const index = new Map<string, number>();
    const inactive: string[] = [];
    records.forEach((r, i) => {
      if (index.has(r.id)) throw new RangeError(`roster: duplicate member id ${r.id}`);
      index.set(r.id, i);
      if (!isActive(r.state)) inactive.push(r.id);
    });
    this.records = records;
    this.indexById = index;
    this.activeCount = records.length - inactive.length;
    this.inactiveIds = inactive;
  }

  /** All members alive at incarnation 0. */
  static alive(members: readonly { id: string; address: string; meta: MemberMeta }[], atMs = 0): Roster {
    return new Roster(members.map((m) => ({ id: m.id, address: m.address, state: 'alive', incarnation: 0, meta: m.meta, stateChangedAtMs: atMs })));
  }
}

/**
 * The local membership view: a roster (shared, read-only) overlaid with this node's own records. Slots give every
 * member a stable index for random picks and the probe order: roster members first, then members learnt later.
 */
export class MembershipTable {
  private readonly rosterRecords: readonly MemberView[];
  private readonly rosterIndex: ReadonlyMap<string, number>;
  /** Overrides of roster members; null = removed. */
  private readonly overrides = new Map<string, MemberView | null>();
  /** Members not in the roster. */
  private readonly own = new Map<string, MemberView>();
  private readonly ownSlots: string[] = [];
  private readonly ownSlotIndex = new Map<string, number>();
  /** Members currently dead or left, for reaping without a full scan. */
  private readonly inactiveIds = new Set<string>();
  private activeCount: number;
  private presentCount: number;

  constructor(roster?: Roster) {
    this.rosterRecords = roster?.records ?? [];
    this.rosterIndex = roster?.indexById ?? new Map();
    this.activeCount = roster?.activeCount ?? 0;
    this.presentCount = this.rosterRecords.length;
    for (const id of roster?.inactiveIds ?? []) this.inactiveIds.add(id);
  }

  get(id: string): MemberView | undefined {
    const own = this.own.get(id);
    if (own !== undefined) return own;
    const o = this.overrides.get(id);
    if (o !== undefined) return o ?? undefined;
    const i = this.rosterIndex.get(id);
    return i === undefined ? undefined : this.rosterRecords[i];
  }

  /** Inserts or replaces a member's record. */
  set(record: MemberView): void {
    const previous = this.get(record.id);
    if (previous === undefined) {
      this.presentCount++;
    } else if (isActive(previous.state)) {
      this.activeCount--;
    }
    if (isActive(record.state)) {
      this.activeCount++;
      this.inactiveIds.delete(record.id);
    } else {
      this.inactiveIds.add(record.id);
    }
    if (this.rosterIndex.has(record.id)) {
      this.overrides.set(record.id, record);
    } else {
      if (!this.own.has(record.id)) {
        this.ownSlotIndex.set(record.id, this.ownSlots.length);
        this.ownSlots.push(record.id);
      }
      this.own.set(record.id, record);
    }
  }

  /** Forgets a member (reaping). */
  remove(id: string): void {
    const previous = this.get(id);
    if (previous === undefined) return;
    this.presentCount--;
    if (isActive(previous.state)) this.activeCount--;
    this.inactiveIds.delete(id);
    if (this.rosterIndex.has(id)) {
      this.overrides.set(id, null);
      return;
    }
    this.own.delete(id);
    const slot = this.ownSlotIndex.get(id)!;
    const last = this.ownSlots.pop()!;
    this.ownSlotIndex.delete(id);
    if (last !== id) {
      this.ownSlots[slot] = last;
      this.ownSlotIndex.set(last, slot);
    }
  }

  /** Members present (any state). */
  get size(): number {
    return this.presentCount;
  }

  /** Members alive or suspect: n in the memberlist formulas. */
  get active(): number {
    return this.activeCount;
  }

  /** Ids of members dead or left. */
  inactive(): ReadonlySet<string> {
    return this.inactiveIds;
  }

  /** Number of slot indexes; some may be empty (removed roster members). */
  slotCount(): number {
    return this.rosterRecords.length + this.ownSlots.length;
  }

  /** The member in a slot, or undefined if that slot is empty or out of range. */
  recordAtSlot(slot: number): MemberView | undefined {
    const rosterLength = this.rosterRecords.length;
    if (slot < rosterLength) {
      const base = this.rosterRecords[slot];
      if (this.overrides.size === 0) return base;
      const o = this.overrides.get(base.id);
      return o === undefined ? base : (o ?? undefined);
    }
    const id = this.ownSlots[slot - rosterLength];
    return id === undefined ? undefined : this.own.get(id);
  }

  forEach(visit: (member: MemberView) => void): void {
    const count = this.slotCount();
    for (let slot = 0; slot < count; slot++) {
      const m = this.recordAtSlot(slot);
      if (m !== undefined) visit(m);
    }
  }

  all(): MemberView[] {
    const out: MemberView[] = [];
    this.forEach((m) => out.push(m));
    return out;
  }

  /**
   * Up to k distinct members accepted by the filter, picked at random (memberlist kRandomNodes: at most 3·slots tries,
   * so the cost stays O(k) in a big cluster).
   */
  randomMembers(k: number, random: Random, accept: (member: MemberView) => boolean): MemberView[] {
    const picked: MemberView[] = [];
    const slots = this.slotCount();
    if (k <= 0 || slots === 0) return picked;
    const tries = 3 * slots;
    for (let i = 0; i < tries && picked.length < k; i++) {
      const m = this.recordAtSlot(Math.floor(random.next() * slots));
      if (m === undefined || !accept(m) || picked.includes(m)) continue;
      picked.push(m);
    }
    return picked;
  }
}

/** What to do with an `alive` message, by memberlist's aliveNode rules. */
export type AliveVerdict =
  | { action: 'ignore'; why: 'stale-incarnation' | 'address-conflict' | 'self-left' | 'same-as-self' }
  | { action: 'add' }
  | { action: 'refute' }
  | { action: 'apply'; isAddressChange: boolean };

/**
 * The incarnation rule for `alive`: a member's news is believed only with a higher incarnation than we hold (or when a
 * dead/left member comes back at a new address). About ourselves, anything newer than what we hold, or the same
 * incarnation with different meta (a restart), is refuted.
 */
export function judgeAlive(
  current: MemberView | undefined,
  incoming: { address: string; incarnation: number; meta: MemberMeta },
  isSelf: boolean,
  hasLeft: boolean,
  metaEquals: (a: MemberMeta, b: MemberMeta) => boolean,
): AliveVerdict {
  if (isSelf && hasLeft) return { action: 'ignore', why: 'self-left' };
  if (current === undefined) return { action: 'add' };
  let isAddressChange = false;
  if (current.address !== incoming.address) {
    if (isSelf || isActive(current.state)) return { action: 'ignore', why: 'address-conflict' };
    isAddressChange = true;
  }
  if (isSelf) {
    if (incoming.incarnation < current.incarnation) return { action: 'ignore', why: 'stale-incarnation' };
    if (incoming.incarnation === current.incarnation && metaEquals(incoming.meta, current.meta)) return { action: 'ignore', why: 'same-as-self' };
    return { action: 'refute' };
  }
  if (incoming.incarnation <= current.incarnation && !isAddressChange) return { action: 'ignore', why: 'stale-incarnation' };
  return { action: 'apply', isAddressChange };
}

/** What to do with a `suspect` message, by memberlist's suspectNode rules. */
export type SuspectVerdict =
  | { action: 'ignore'; why: 'unknown-member' | 'stale-incarnation' | 'not-alive' }
  | { action: 'confirm' }
  | { action: 'refute' }
  | { action: 'suspect' }
  | { action: 'resuspect' };

/**
 * An accusation older than what we hold is ignored; one about us is refuted; one about a suspect at the same
 * incarnation is a confirmation. One about a suspect at a *higher* incarnation means the member refuted our suspicion
 * (the accuser saw it alive at that incarnation) and was accused again: the old timer is void and a new one starts.
 * memberlist counts it as a confirmation of the old timer instead, which lets a refuted suspicion expire (a false
 * positive we saw in the simulator with a slow node whose refutation was overtaken by a fresh suspicion).
 */
export function judgeSuspect(current: MemberView | undefined, incarnation: number, isSelf: boolean, hasTimer: boolean): SuspectVerdict {
  if (current === undefined) return { action: 'ignore', why: 'unknown-member' };
  if (incarnation < current.incarnation) return { action: 'ignore', why: 'stale-incarnation' };
  if (hasTimer) return incarnation > current.incarnation ? { action: 'resuspect' } : { action: 'confirm' };
  if (current.state !== 'alive') return { action: 'ignore', why: 'not-alive' };
  return isSelf ? { action: 'refute' } : { action: 'suspect' };
}

/** What to do with a `dead` message, by memberlist's deadNode rules. */
export type DeadVerdict =
  | { action: 'ignore'; why: 'unknown-member' | 'stale-incarnation' | 'already-dead' }
  | { action: 'refute' }
  | { action: 'declare'; state: 'dead' | 'left' };

/** A death older than what we hold is ignored; about us it is refuted unless we are leaving; `from === member` means left. */
export function judgeDead(
  current: MemberView | undefined,
  incoming: { member: string; incarnation: number; from: string },
  isSelf: boolean,
  hasLeft: boolean,
): DeadVerdict {
  if (current === undefined) return { action: 'ignore', why: 'unknown-member' };
  if (incoming.incarnation < current.incarnation) return { action: 'ignore', why: 'stale-incarnation' };
  if (!isActive(current.state)) return { action: 'ignore', why: 'already-dead' };
  if (isSelf && !hasLeft) return { action: 'refute' };
  return { action: 'declare', state: incoming.from === incoming.member ? 'left' : 'dead' };
}

/** The incarnation a refutation takes: above both our own and the accuser's (memberlist refute). */
export function refutationIncarnation(own: number, accused: number): number {
  return Math.max(own, accused) + 1;
}
