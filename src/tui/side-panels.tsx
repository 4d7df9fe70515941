import { Box, Text } from 'ink';
import type { ConfigRowView, LeaseRowView, PanelView } from './status-model.js';
import { TONE_STYLE, fit } from './theme.js';

export interface LeasesPanelProps {
  leases: PanelView<LeaseRowView>;
  width: number;
  /** Lines to fill: title, column names, rows (the last becomes `+n more` when they do not fit). */
  height: number;
}

/** Leases held now: resource, holder, fencing token, and the TTL counting down. */
export function LeasesPanel({ leases, width, height }: LeasesPanelProps) {
  // TOKEN and TTL ('expired') keep their width, and USE (`63% 12×`) when the leader's figures came; RESOURCE and
  // HOLDER share the rest.
  const useWidth = leases.rows.some((l) => l.use !== undefined) ? 9 : 0;
  const fixed = 14 + useWidth;
  const holder = Math.max(9, Math.floor((width - fixed) * 0.4));
  const widths = [Math.max(4, width - fixed - holder), holder, 7, 7];
  const room = Math.max(0, height - 2);
  const shown = leases.rows.length > room ? leases.rows.slice(0, Math.max(0, room - 1)) : leases.rows;
  const body = [
    ...shown.map((l) => (
      <Text key={l.resource} wrap="truncate">
        {cell(l.resource, widths[0])}
        {cell(l.holder, widths[1])}
        {cell(l.token, widths[2])}
        {useWidth > 0 ? cell(l.use ?? '-', useWidth) : null}
        <Text {...TONE_STYLE[l.ttlTone]}>{fit(l.ttl, widths[3])}</Text>
      </Text>
    )),
    ...(shown.length < leases.rows.length ? [<Text key="more" dimColor>{`+${leases.rows.length - shown.length} more`}</Text>] : []),
  ];
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        leases
      </Text>
      {leases.note !== null ? (
        <Text wrap="truncate" {...TONE_STYLE[leases.noteTone]}>
          {leases.note}
        </Text>
      ) : (
        <Text dimColor wrap="truncate">
          {cell('RESOURCE', widths[0])}
          {cell('HOLDER', widths[1])}
          {cell('TOKEN', widths[2])}
          {useWidth > 0 ? cell('USE', useWidth) : null}
          {fit('TTL', widths[3])}
        </Text>
      )}
      {body}
      {padding(room - body.length)}
    </Box>
  );
}

export interface ConfigPanelProps {
  config: PanelView<ConfigRowView>;
  width: number;
  height: number;
}

/** The config version each node has applied, and who is behind the newest. */
export function ConfigPanel({ config, width, height }: ConfigPanelProps) {
  const room = Math.max(0, height - 1);
  const shown = config.rows.length > room ? config.rows.slice(0, Math.max(0, room - 1)) : config.rows;
  const body = [
    ...(config.note !== null
      ? [
          <Text key="note" wrap="truncate" {...TONE_STYLE[config.noteTone]}>
            {config.note}
          </Text>,
        ]
      : []),
    ...shown.map((c) => (
      <Text key={c.nodeId} wrap="truncate">
        {fit(c.nodeId, 5)}
        {fit(c.version, 6)}
        <Text {...TONE_STYLE[c.tone]}>{c.state}</Text>
      </Text>
    )),
    ...(shown.length < config.rows.length ? [<Text key="more" dimColor>{`+${config.rows.length - shown.length} more`}</Text>] : []),
  ];
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        config
      </Text>
      {body}
      {padding(room - body.length)}
    </Box>
  );
}

/** Blank lines that keep a panel at its height as its content shrinks. */
export function padding(count: number) {
  return Array.from({ length: Math.max(0, count) }, (_, i) => <Text key={`pad${i}`}> </Text>);
}

/** A column of `width` with one space of gutter at its end. */
function cell(text: string, width: number): string {
  return fit(text, width - 1) + ' ';
}
