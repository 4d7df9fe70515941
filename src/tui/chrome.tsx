import { Box, Text } from 'ink';
import { padding } from './side-panels.js';
import { KEY_HELP, type HeaderView, type Tone } from './status-model.js';
import { TONE_STYLE, fit } from './theme.js';

export interface HeaderProps {
  header: HeaderView;
}

/** One line: cluster, node counts, leader and term, active faults, the time. */
export function Header({ header }: HeaderProps) {
  return (
    <Text wrap="truncate">
      <Text bold>{header.title}</Text>
      {'  '}
      <Text {...TONE_STYLE[header.countsTone]}>{header.counts}</Text>
      {header.leader ? (
        <>
          {'  '}
          <Text {...TONE_STYLE[header.leaderTone]}>{header.leader}</Text>
        </>
      ) : null}
      {'  '}
      <Text dimColor>{header.clock}</Text>
      {header.faults ? (
        <>
          {'  '}
          <Text color="red">faults: {header.faults}</Text>
        </>
      ) : null}
    </Text>
  );
}

export interface NoticeLineProps {
  text: string;
  tone: Tone;
}

/** Always one line (blank when there is nothing to say), so the frame does not jump. */
export function NoticeLine({ text, tone }: NoticeLineProps) {
  return (
    <Text wrap="truncate" {...TONE_STYLE[tone]}>
      {text || ' '}
    </Text>
  );
}

export interface KeyBarProps {
  /** Short form for narrow terminals. @default false */
  isCompact?: boolean;
}

export function KeyBar({ isCompact = false }: KeyBarProps) {
  const keys = isCompact ? 'k kill p pause r restart i isol h heal ? q' : '↑↓ k kill p pause r restart i isolate g split o one-way h heal tab panel ? q';
  return (
    <Text wrap="truncate" dimColor>
      {keys}
    </Text>
  );
}

export interface HelpPanelProps {
  /** Lines to fill. */
  height: number;
}

/** The keys, in place of the panels while shown. */
export function HelpPanel({ height }: HelpPanelProps) {
  const lines = [
    <Text key="title" bold wrap="truncate">
      keys
    </Text>,
    ...KEY_HELP.map(([k, what]) => (
      <Text key={k} wrap="truncate">
        <Text color="cyan">{fit(k, 6)}</Text>
        {what}
      </Text>
    )),
    <Text key="colours" wrap="truncate" dimColor>
      reach: ✓ got through  ✗ cut  - down  ? not probed yet · ★ emergent leader · A/S/D alive/suspect/dead
    </Text>,
  ].slice(0, Math.max(0, height));
  return (
    <Box flexDirection="column">
      {lines}
      {padding(height - lines.length)}
    </Box>
  );
}
