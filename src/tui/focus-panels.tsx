import { Box, Text } from 'ink';
import type { ElectionRowView, GossipSpreadView, ServiceRowView, WatchRowView } from './panels-model.js';
import { padding } from './side-panels.js';
import type { PanelView, Tone } from './status-model.js';
import { TONE_STYLE, fit } from './theme.js';

/**
 * The panels Tab brings beside the matrix: services, elections, watches, gossip spread. Each fills exactly `height`
 * lines and `width` columns (title, column names, rows; the last row becomes `+n more` when they do not fit).
 */
interface TableColumn {
  title: string;
  /** Share of the width left after the fixed columns (0 for a fixed one). */
  grow: number;
  /** Fixed width (or the minimum for a growing one). */
  width: number;
}

interface TableRow {
  key: string;
  cells: string[];
  tones?: (Tone | undefined)[];
}

interface TablePanelProps {
  title: string;
  columns: TableColumn[];
  rows: TableRow[];
  note: string | null;
  noteTone: Tone;
  width: number;
  height: number;
}

function TablePanel({ title, columns, rows, note, noteTone, width, height }: TablePanelProps) {
  const fixed = columns.reduce((sum, c) => sum + (c.grow === 0 ? c.width : 0), 0);
  const growTotal = columns.reduce((sum, c) => sum + c.grow, 0) || 1;
  const spare = Math.max(0, width - fixed);
  const widths = columns.map((c) => (c.grow === 0 ? c.width : Math.max(c.width, Math.floor((spare * c.grow) / growTotal))));
  const room = Math.max(0, height - 2);
  const shown = rows.length > room ? rows.slice(0, Math.max(0, room - 1)) : rows;
  const body = [
    ...shown.map((r) => (
      <Text key={r.key} wrap="truncate">
        {r.cells.map((c, i) => (
          <Text key={i} {...TONE_STYLE[r.tones?.[i] ?? 'plain']}>
            {fit(c, widths[i] - 1) + ' '}
          </Text>
        ))}
      </Text>
    )),
    ...(shown.length < rows.length ? [<Text key="more" dimColor>{`+${rows.length - shown.length} more`}</Text>] : []),
  ];
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {title}
      </Text>
      {note !== null ? (
        <Text wrap="truncate" {...TONE_STYLE[noteTone]}>
          {note}
        </Text>
      ) : (
        <Text dimColor wrap="truncate">
          {columns.map((c, i) => fit(c.title, widths[i] - 1) + ' ').join('')}
        </Text>
      )}
      {body}
      {padding(room - body.length)}
    </Box>
  );
}

export interface FocusPanelProps<Row> {
  view: PanelView<Row> & { summary: string };
  width: number;
  height: number;
}

export function ServicesPanel({ view, width, height }: FocusPanelProps<ServiceRowView>) {
  return (
    <TablePanel
      title={`services · ${view.summary}`}
      columns={[
        { title: 'SERVICE', grow: 2, width: 8 },
        { title: 'INSTANCE', grow: 2, width: 9 },
        { title: 'ADDRESS', grow: 3, width: 10 },
        { title: 'HEALTH', grow: 0, width: 9 },
      ]}
      rows={view.rows.map((r) => ({ key: `${r.service}/${r.id}`, cells: [r.service, r.id, r.address, r.status], tones: [undefined, undefined, 'muted', r.tone] }))}
      note={view.note}
      noteTone={view.noteTone}
      width={width}
      height={height}
    />
  );
}

export function ElectionsPanel({ view, width, height }: FocusPanelProps<ElectionRowView>) {
  return (
    <TablePanel
      title={`elections · ${view.summary}`}
      columns={[
        { title: 'ELECTION', grow: 2, width: 9 },
        { title: 'LEADER', grow: 2, width: 8 },
        { title: 'TOKEN', grow: 0, width: 6 },
        { title: 'TTL', grow: 0, width: 8 },
        { title: 'IN LINE', grow: 2, width: 8 },
      ]}
      rows={view.rows.map((r) => ({ key: r.election, cells: [r.election, r.leader, r.token, r.ttl, r.line], tones: [undefined, r.leader === 'nobody' ? 'warn' : 'accent', undefined, r.ttlTone, 'muted'] }))}
      note={view.note}
      noteTone={view.noteTone}
      width={width}
      height={height}
    />
  );
}

export function WatchesPanel({ view, width, height }: FocusPanelProps<WatchRowView>) {
  return (
    <TablePanel
      title={`watches · ${view.summary}`}
      columns={[
        { title: 'NODE', grow: 0, width: 5 },
        { title: 'KEY', grow: 1, width: 8 },
        { title: 'AT REV', grow: 0, width: 7 },
        { title: 'EVENTS', grow: 0, width: 7 },
        { title: 'OPEN', grow: 0, width: 7 },
      ]}
      rows={view.rows.map((r, i) => ({ key: `${r.node}-${i}`, cells: [r.node, r.key, r.revision, r.events, r.age], tones: [undefined, undefined, undefined, undefined, 'muted'] }))}
      note={view.note}
      noteTone={view.noteTone}
      width={width}
      height={height}
    />
  );
}

export interface GossipSpreadPanelProps {
  view: GossipSpreadView;
  width: number;
  height: number;
}

/** The newest tag change and, per node, when its view first had it: the epidemic, node after node. */
export function GossipSpreadPanel({ view, width, height }: GossipSpreadPanelProps) {
  const room = Math.max(0, height - 2);
  const barWidth = Math.max(0, width - 5 - 9 - 2);
  const shown = view.rows.length > room ? view.rows.slice(0, Math.max(0, room - 1)) : view.rows;
  const body = [
    ...shown.map((r) => (
      <Text key={r.nodeId} wrap="truncate">
        {fit(r.nodeId, 5)}
        <Text {...TONE_STYLE[r.tone]}>{fit(r.state, 9)}</Text>
        <Text color="green">{r.state.startsWith('+') ? '▪'.repeat(Math.max(1, Math.round(r.share * barWidth))) : ''}</Text>
      </Text>
    )),
    ...(shown.length < view.rows.length ? [<Text key="more" dimColor>{`+${view.rows.length - shown.length} more`}</Text>] : []),
  ];
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        gossip spread{view.fact ? `: ${view.fact}` : ''}
      </Text>
      <Text wrap="truncate" {...TONE_STYLE[view.tone]}>
        {view.summary}
      </Text>
      {body}
      {padding(room - body.length)}
    </Box>
  );
}
