import { Box, Text } from 'ink';
import type { MatrixView } from './status-model.js';
import { REACH_GLYPH, REACH_TONE, TONE_STYLE, fit } from './theme.js';

export interface ReachabilityMatrixProps {
  matrix: MatrixView;
  /** Lines to fill (title, column ids, one per node; padded so the frame keeps its height). */
  height: number;
}

/** Columns needed for `count` nodes: the row ids, then three per node. */
export function matrixWidth(count: number): number {
  return 6 + 3 * count;
}

/** Who reaches whom: row = sender, column = receiver; ✓ got through, ✗ cut, - down, ? not probed yet. */
export function ReachabilityMatrix({ matrix, height }: ReachabilityMatrixProps) {
  const lines = matrix.rows.slice(0, Math.max(0, height - 2));
  return (
    <Box flexDirection="column" width={matrixWidth(matrix.ids.length)}>
      <Text wrap="truncate" bold>
        reach<Text dimColor>{matrix.probedAgo ? ` ${matrix.probedAgo}` : ''}</Text>
      </Text>
      <Text wrap="truncate" dimColor>
        {fit('→', 5)}
        {matrix.ids.map((id) => fit(id, 3)).join('')}
      </Text>
      {lines.map((row) => (
        <Text key={row.id} wrap="truncate">
          <Text dimColor>{fit(row.id, 5)}</Text>
          {row.cells.map((c, i) => (
            <Text key={matrix.ids[i]} {...TONE_STYLE[REACH_TONE[c]]}>
              {fit(` ${REACH_GLYPH[c]}`, 3)}
            </Text>
          ))}
        </Text>
      ))}
      {Array.from({ length: Math.max(0, height - 2 - lines.length) }, (_, i) => (
        <Text key={`pad${i}`}> </Text>
      ))}
    </Box>
  );
}
