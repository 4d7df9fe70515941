import { Flags } from '@oclif/core';
import { CcmCommand } from '../src/cli/ccm-command.js';
import type { ClusterEvent } from '../src/api/api-types.js';
import { findNode, readClusterFile } from '../src/cluster/cluster-file.js';
import { EventTimeline, followEventTimeline, formatEventLine, parseSince, splitList, type EventFilter } from '../src/cluster/event-timeline.js';

export default class Events extends CcmCommand<typeof Events> {
  static override summary = 'One timeline of what happened: events.log and every node.log event, merged in time order.';
  static override description =
    'Shows what the CLI and the supervisor did (events.log) together with what each node reported (the event lines of nodes/<id>/node.log): starts, stops, link-filter changes, Raft role and term changes, member suspicion, lease expiries. With --follow, keeps printing new events until Ctrl-C (under --json, one JSON object per line).';
  static override examples = [
    '<%= config.bin %> events --since 5m',
    '<%= config.bin %> events --node n2 --type raft-*',
    '<%= config.bin %> events --follow --json',
  ];
  static override flags = {
    follow: Flags.boolean({ char: 'f', summary: 'Keep printing new events until Ctrl-C.', default: false }),
    since: Flags.string({ summary: 'Only events from this long ago (5m, 90s, 1h) or since this time (2025-01-31T10:00:00Z).' }),
    node: Flags.string({ summary: 'Only events from or about these nodes (repeat, or n1,n2).', multiple: true }),
    type: Flags.string({ summary: 'Only events of these types (repeat, or a,b; raft-* matches a prefix).', multiple: true }),
    limit: Flags.integer({ char: 'n', summary: 'At most this many of the latest matching events (0: all that were read).', default: 200, min: 0 }),
  };

  async run(): Promise<ClusterEvent[] | undefined> {
    const paths = this.clusterPaths();
    const file = readClusterFile(paths);
    const nodes = splitList(this.flags.node);
    for (const id of nodes) findNode(file, id);
    const filter: EventFilter = {
      ...(this.flags.since !== undefined ? { sinceMs: parseSince(this.flags.since, Date.now()) } : {}),
      ...(nodes.length > 0 ? { nodes } : {}),
      ...(this.flags.type !== undefined ? { types: splitList(this.flags.type) } : {}),
    };
    const timeline = new EventTimeline(paths);
    const read = timeline.readTail(filter, this.flags.limit);
    const isJson = this.jsonEnabled();
    const withDate = read.events.length > 0 && new Date(read.events[0].ts).toDateString() !== new Date().toDateString();
    if (!isJson) {
      for (const e of read.events) this.log(formatEventLine(e, { withDate }));
      if (read.events.length === 0 && !this.flags.follow) this.log('(no events match)');
      if (read.truncatedFiles.length > 0) this.warn(`older events not shown: only the tail of ${read.truncatedFiles.join(', ')} was read`);
    }
    if (!this.flags.follow) return read.events;
    if (isJson) for (const e of read.events) process.stdout.write(JSON.stringify(e) + '\n');
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await followEventTimeline(timeline, filter, stop.signal, (e) => (isJson ? process.stdout.write(JSON.stringify(e) + '\n') : this.log(formatEventLine(e, { withDate }))));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    // The stream was the output: nothing more to print under --json.
    return undefined;
  }
}
