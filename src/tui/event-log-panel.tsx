import { Box, Text } from 'ink';
import { padding } from './side-panels.js';
import type { EventLineView } from './status-model.js';
import { TONE_STYLE, fit } from './theme.js';

export interface EventLogPanelProps {
  lines: EventLineView[];
  /** Lines to fill below the title. */
  height: number;
  /** Show the `events` title line. @default true */
  hasTitle?: boolean;
}

/**
 * The latest events, newest at the bottom, in a panel of fixed height. (Not ink's <Static>: static lines
 * scroll the terminal and push the live region around; a dashboard keeps its place on screen.)
 */
export function EventLogPanel({ lines, height, hasTitle = true }: EventLogPanelProps) {
  const shown = lines.slice(-height);
  return (
    <Box flexDirection="column">
      {hasTitle ? (
        <Text bold wrap="truncate">
          events
        </Text>
      ) : null}
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate">
          <Text dimColor>{l.time} </Text>
          <Text color={l.isAction ? 'cyan' : undefined} bold={l.isAction}>
            {fit(l.source, 4)}
          </Text>{' '}
          <Text {...TONE_STYLE[l.tone]}>{l.text}</Text>
        </Text>
      ))}
      {padding(height - shown.length)}
    </Box>
  );
}
