import { Box, Text } from 'ink';
import { Header, HelpPanel, KeyBar, NoticeLine } from './chrome.js';
import { EventLogPanel } from './event-log-panel.js';
import { NodeTable } from './node-table.js';
import { ReachabilityMatrix, matrixWidth } from './reachability-matrix.js';
import { ConfigPanel, LeasesPanel } from './side-panels.js';
import { ElectionsPanel, GossipSpreadPanel, ServicesPanel, WatchesPanel } from './focus-panels.js';
import { electionsView, gossipSpreadView, PANELS, servicesView, watchesView } from './panels-model.js';
import {
  chooseLayout,
  configView,
  eventLines,
  headerView,
  leasesView,
  matrixView,
  nodeRows,
  noticeView,
  partitionSides,
  tableWindowStart,
  type DashboardLayout,
  type DashboardState,
  type NodeRowView,
} from './status-model.js';
import { SELECTED_MARK, TONE_STYLE, fit } from './theme.js';
import { etcdSummary } from '../cli/etcd-format.js';

export interface DashboardViewProps {
  state: DashboardState;
  /** Wall-clock ms the frame is drawn for (TTL countdowns, ages, the clock). */
  nowMs: number;
  /** Terminal size. */
  columns: number;
  rows: number;
}

/** The whole screen, from props only: the same state, time and size always give the same frame. */
export function DashboardView({ state, nowMs, columns, rows }: DashboardViewProps) {
  const nodeCount = state.snapshot?.status.nodes.length ?? 0;
  const layout = chooseLayout(columns, rows, nodeCount);
  const header = headerView(state, nowMs);
  const notice = noticeView(state, nowMs);
  const allRows = state.snapshot ? nodeRows(state.snapshot, state.selectedId, nowMs) : [];
  const start = tableWindowStart(
    allRows.map((r) => r.id),
    state.selectedId,
    layout.tableRows,
  );
  const visible = allRows.slice(start, start + layout.tableRows);
  const events = eventLines(state.snapshot?.events ?? [], state.actionLog, layout.eventLines);
  if (layout.kind === 'compact') {
    return (
      <Box flexDirection="column" width={columns}>
        <Header header={header} />
        {state.isHelpVisible ? (
          <HelpPanel height={layout.tableRows + 1 + layout.eventLines} />
        ) : (
          <>
            {visible.map((r) => (
              <CompactNodeLine key={r.id} row={r} />
            ))}
            <NoticeLine {...notice} />
            <EventLogPanel lines={events} height={layout.eventLines} hasTitle={false} />
          </>
        )}
        <KeyBar isCompact />
      </Box>
    );
  }
  const restHeight = layout.middleHeight + 1 + layout.eventLines;
  const etcd = state.snapshot?.status.etcd;
  return (
    <Box flexDirection="column" width={columns}>
      <Header header={header} />
      <NoticeLine {...notice} />
      <NodeTable rows={visible} isWide={layout.kind === 'wide'} hiddenAbove={start} hiddenBelow={allRows.length - start - visible.length} sideOf={sideOf(state)} />
      {etcd && <Text wrap="truncate">{fit(etcdSummary(etcd), columns)}</Text>}
      {state.isHelpVisible ? (
        <HelpPanel height={restHeight} />
      ) : (
        <>
          <MiddleSection state={state} nowMs={nowMs} layout={layout} />
          {/* the etcd line takes one of the event log's lines */}
          <EventLogPanel lines={events} height={Math.max(1, layout.eventLines - (etcd ? 1 : 0))} />
        </>
      )}
      <KeyBar />
    </Box>
  );
}

interface MiddleSectionProps {
  state: DashboardState;
  nowMs: number;
  layout: DashboardLayout;
}

/** The matrix with the lease and config panels beside it, and the partition summary under them; or one-line summaries. */
function MiddleSection({ state, nowMs, layout }: MiddleSectionProps) {
  if (layout.middle === 'none' || !state.snapshot) {
    return layout.middleHeight > 0 ? <Box height={layout.middleHeight} /> : null;
  }
  const matrix = matrixView(state.snapshot, nowMs);
  const leases = leasesView(state.snapshot, nowMs);
  const config = configView(state.snapshot);
  const summary = (
    <Text wrap="truncate">
      <Text dimColor>reach: </Text>
      <Text {...TONE_STYLE[matrix.summaryTone]}>{matrix.summary}</Text>
    </Text>
  );
  if (layout.middle === 'summary' && state.panel !== 'overview') {
    const title = PANELS.find((p) => p.id === state.panel)?.title ?? state.panel;
    const text =
      state.panel === 'services'
        ? servicesView(state.snapshot).summary
        : state.panel === 'elections'
          ? electionsView(state.snapshot, nowMs).summary
          : state.panel === 'watches'
            ? watchesView(state.snapshot, nowMs).summary
            : (() => {
                const g = gossipSpreadView(state.snapshot);
                return g.fact ? `${g.fact}: ${g.summary}` : g.summary;
              })();
    return (
      <Box flexDirection="column">
        {summary}
        <Text wrap="truncate">
          <Text dimColor>{title}: </Text>
          {text}
        </Text>
      </Box>
    );
  }
  if (layout.middle === 'summary') {
    const leaseText = leases.note ?? `${leases.rows.length} held`;
    const configText = config.note ?? (config.rows.every((c) => c.state === 'current') ? `all at ${config.rows[0]?.version ?? '-'}` : config.rows.filter((c) => c.state !== 'current').map((c) => `${c.nodeId} ${c.state}`).join(', '));
    return (
      <Box flexDirection="column">
        {summary}
        <Text wrap="truncate">
          <Text dimColor>leases: </Text>
          <Text {...TONE_STYLE[leases.note ? leases.noteTone : 'plain']}>{leaseText}</Text>
          <Text dimColor> · config: </Text>
          <Text {...TONE_STYLE[config.note ? config.noteTone : 'plain']}>{configText}</Text>
        </Text>
      </Box>
    );
  }
  const panelHeight = layout.middleHeight - 1;
  const mw = matrixWidth(matrix.ids.length);
  const rest = Math.max(0, layout.columns - mw - 4);
  const leasesWidth = Math.floor(rest * 0.62);
  const configWidth = rest - leasesWidth;
  return (
    <Box flexDirection="column">
      <Box flexDirection="row" height={panelHeight}>
        <ReachabilityMatrix matrix={matrix} height={panelHeight} />
        <Box width={2} />
        {state.panel === 'overview' ? (
          <>
            <LeasesPanel leases={leases} width={leasesWidth} height={panelHeight} />
            <Box width={2} />
            <ConfigPanel config={config} width={configWidth} height={panelHeight} />
          </>
        ) : (
          <FocusPanel state={state} nowMs={nowMs} width={rest} height={panelHeight} />
        )}
      </Box>
      {summary}
    </Box>
  );
}

/** `› n1★ leader   t7  lag 0  up 1m05s`: what a node is doing, in one short line. */
function CompactNodeLine({ row }: { row: NodeRowView }) {
  return (
    <Text wrap="truncate">
      <Text color="cyan" bold>
        {row.isSelected ? `${SELECTED_MARK} ` : '  '}
      </Text>
      <Text bold={row.isSelected}>{fit(`${row.id}${row.isEmergentLeader ? '★' : ''}`, 5)}</Text>
      <Text {...TONE_STYLE[row.roleTone]}>{fit(row.role, 9)}</Text>
      <Text>{fit(row.term === '-' ? '' : `t${row.term}`, 5)}</Text>
      <Text {...TONE_STYLE[row.lagTone]}>{fit(row.lag === '-' ? '' : `lag ${row.lag}`, 8)}</Text>
      <Text dimColor>{row.uptime === '-' ? '' : `up ${row.uptime}`}</Text>
    </Text>
  );
}

/** The panel Tab picked, in the room the lease and config panels take otherwise. */
function FocusPanel({ state, nowMs, width, height }: { state: DashboardState; nowMs: number; width: number; height: number }) {
  const snapshot = state.snapshot!;
  switch (state.panel) {
    case 'services':
      return <ServicesPanel view={servicesView(snapshot)} width={width} height={height} />;
    case 'elections':
      return <ElectionsPanel view={electionsView(snapshot, nowMs)} width={width} height={height} />;
    case 'watches':
      return <WatchesPanel view={watchesView(snapshot, nowMs)} width={width} height={height} />;
    default:
      return <GossipSpreadPanel view={gossipSpreadView(snapshot)} width={width} height={height} />;
  }
}

/** While a partition is being chosen, which side each node is on. */
function sideOf(state: DashboardState): ((id: string) => 'A' | 'B' | undefined) | undefined {
  if (state.mode?.kind !== 'partition') return undefined;
  const [a] = partitionSides(state);
  return (id) => (a.includes(id) ? 'A' : 'B');
}
