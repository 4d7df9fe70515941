import { Box, Text } from 'ink';
import type { NodeRowView, Tone } from './status-model.js';
import { EMERGENT_LEADER_MARK, SELECTED_MARK, TONE_STYLE, fit } from './theme.js';

interface Column {
  title: string;
  width: number;
  cell: (row: NodeRowView) => [string, Tone];
}

const NODE: Column = { title: 'NODE', width: 5, cell: (r) => [`${r.id}${r.isEmergentLeader ? EMERGENT_LEADER_MARK : ''}`, 'plain'] };
const ROLE: Column = { title: 'ROLE', width: 9, cell: (r) => [r.role, r.roleTone] };
const TERM: Column = { title: 'TERM', width: 4, cell: (r) => [r.term, 'plain'] };
const COMMIT: Column = { title: 'COMMIT', width: 6, cell: (r) => [r.commit, 'plain'] };
const LAG: Column = { title: 'LAG', width: 4, cell: (r) => [r.lag, r.lagTone] };
const GOSSIP: Column = { title: 'A/S/D', width: 7, cell: (r) => [r.gossip, r.gossipTone] };
const PHI: Column = { title: 'PHI', width: 4, cell: (r) => [r.phi, r.phiTone] };
const HEALTH: Column = { title: 'HEALTH', width: 8, cell: (r) => [r.health, r.healthTone] };
const SEES: Column = { title: 'ELDR', width: 4, cell: (r) => [r.sees, r.seesTone] };
const UPTIME: Column = { title: 'UPTIME', width: 7, cell: (r) => [r.uptime, 'plain'] };
const RESTARTS: Column = { title: 'RST', width: 3, cell: (r) => [r.restarts, r.restarts === '0' ? 'muted' : 'warn'] };
const PID: Column = { title: 'PID', width: 7, cell: (r) => [r.pid, 'muted'] };
const INDEXES: Column = { title: 'APPLIED/LAST', width: 12, cell: (r) => [r.indexes, 'plain'] };
const INCARNATION: Column = { title: 'INC', width: 4, cell: (r) => [r.incarnation, 'plain'] };
const HOST: Column = { title: 'HOST', width: 15, cell: (r) => [r.host, 'muted'] };
const REACH: Column = { title: 'REACH', width: 5, cell: (r) => [r.reach, r.reachTone] };

/** About 74 characters: fits 80 columns. */
const NORMAL_COLUMNS = [NODE, ROLE, TERM, COMMIT, LAG, GOSSIP, PHI, HEALTH, SEES, UPTIME, RESTARTS];
/** Adds pid, applied/last index, incarnation and reach: about 110 characters. */
const WIDE_COLUMNS = [NODE, ROLE, TERM, COMMIT, INDEXES, LAG, GOSSIP, INCARNATION, PHI, HEALTH, SEES, REACH, UPTIME, RESTARTS, PID, HOST];

export interface NodeTableProps {
  /** The rows to show (already windowed to what fits). */
  rows: NodeRowView[];
  /** Show the extra columns of a wide terminal. @default false */
  isWide?: boolean;
  /** Rows of the table hidden above and below the window (shown as a count in the header). @default 0 */
  hiddenAbove?: number;
  hiddenBelow?: number;
  /** While a partition is being chosen: each node's side, shown in the gutter (`A`/`B`). */
  sideOf?: (id: string) => 'A' | 'B' | undefined;
}

/** The nodes, one line each; the picked one marked. Every cell has a fixed width so columns never shift. */
export function NodeTable({ rows, isWide = false, hiddenAbove = 0, hiddenBelow = 0, sideOf }: NodeTableProps) {
  const columns = isWide ? WIDE_COLUMNS : NORMAL_COLUMNS;
  const more = [hiddenAbove ? `↑${hiddenAbove}` : '', hiddenBelow ? `↓${hiddenBelow}` : ''].filter(Boolean).join(' ');
  return (
    <Box flexDirection="column">
      <Text wrap="truncate" bold>
        {'  '}
        {columns.map((c) => fit(c.title, c.width)).join(' ')}
        {more ? <Text dimColor> {more}</Text> : null}
      </Text>
      {rows.map((row) => (
        <Text key={row.id} wrap="truncate">
          <Text bold={row.isSelected} color={row.isSelected ? 'cyan' : undefined}>
            {row.isSelected ? SELECTED_MARK : ' '}
          </Text>
          <Text bold color={sideOf?.(row.id) === 'A' ? 'magenta' : 'yellow'}>
            {sideOf?.(row.id) ?? ' '}
          </Text>
          {columns.map((c, i) => {
            const [text, tone] = c.cell(row);
            const style = c === NODE && row.isSelected ? { bold: true, color: 'cyan' } : TONE_STYLE[tone];
            return (
              <Text key={c.title}>
                <Text {...style}>{fit(text, c.width)}</Text>
                {i < columns.length - 1 ? ' ' : ''}
              </Text>
            );
          })}
        </Text>
      ))}
    </Box>
  );
}
