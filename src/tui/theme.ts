import type { Tone } from './status-model.js';

/** How each tone looks. Colour always repeats what the text says (a role, a count), so nothing is colour-only. */
export const TONE_STYLE: Record<Tone, { color?: string; bold?: boolean; dimColor?: boolean }> = {
  good: { color: 'green' },
  info: { color: 'cyan' },
  accent: { color: 'magenta', bold: true },
  warn: { color: 'yellow' },
  bad: { color: 'red' },
  muted: { dimColor: true },
  plain: {},
};

/** Glyphs of the reachability matrix. */
export const REACH_GLYPH = { self: '·', ok: '✓', cut: '✗', down: '-', unknown: '?' } as const;
export const REACH_TONE = { self: 'muted', ok: 'good', cut: 'bad', down: 'muted', unknown: 'muted' } as const satisfies Record<keyof typeof REACH_GLYPH, Tone>;

/** Marks the picked node's row. */
export const SELECTED_MARK = '›';
/** Marks the emergent leader most nodes agree on. */
export const EMERGENT_LEADER_MARK = '★';

/** Pads or cuts to exactly `width` characters (the columns of a table must not shift as values change). */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length > width) return width === 1 ? '…' : chars.slice(0, width - 1).join('') + '…';
  return text + ' '.repeat(width - chars.length);
}
