import { Chalk, supportsColor, type ChalkInstance } from 'chalk';

/**
 * Colour for human output, in one place. Tables colour the words that carry a verdict (states, roles, health,
 * outcomes) by what they mean, never by column; everything else stays plain. Colour is on only when a person is
 * looking: stdout is a terminal, NO_COLOR is unset, --no-color was not given, and the output is not --json.
 */
export type Tone = 'good' | 'warn' | 'bad' | 'muted' | 'accent';

/** Words by meaning. A cell is toned by its first word, so `running (not answering)` is toned by its own entry. */
const TONE_OF_WORD: Readonly<Record<string, Tone>> = {
  // processes and gossip members
  running: 'good',
  alive: 'good',
  paused: 'warn',
  suspect: 'warn',
  stopped: 'muted',
  left: 'muted',
  dead: 'bad',
  down: 'bad',
  partial: 'warn',
  broken: 'bad',
  // health
  passing: 'good',
  warning: 'warn',
  critical: 'bad',
  unknown: 'warn',
  // Raft roles and core membership
  leader: 'accent',
  follower: 'good',
  candidate: 'warn',
  precandidate: 'warn',
  'pre-candidate': 'warn',
  learner: 'warn',
  voter: 'good',
  core: 'good',
  removed: 'muted',
  // verdicts and outcomes
  valid: 'good',
  ok: 'good',
  yes: 'good',
  held: 'good',
  granted: 'good',
  invalid: 'bad',
  interrupted: 'warn',
  fail: 'bad',
  failed: 'bad',
  no: 'bad',
  info: 'warn',
  waiting: 'warn',
  expired: 'muted',
};

let palette: ChalkInstance = new Chalk({ level: 0 });

/**
 * Decides once per command whether colour is on. `isFlagOn` is --color/--no-color, `isJson` whether --json is on;
 * FORCE_COLOR turns colour on where there is no terminal (tests do that).
 */
export function setColourMode(opts: { isFlagOn?: boolean; isJson?: boolean; isTty?: boolean; env?: NodeJS.ProcessEnv } = {}): boolean {
  const env = opts.env ?? process.env;
  const isTty = opts.isTty ?? Boolean(process.stdout.isTTY);
  const isForced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const isOn = opts.isFlagOn !== false && !opts.isJson && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') && (isTty || isForced) && env.TERM !== 'dumb';
  const level = isOn ? Math.max(1, supportsColor ? supportsColor.level : 1) : 0;
  palette = new Chalk({ level: level as 0 | 1 | 2 | 3 });
  return isOn;
}

export function isColourOn(): boolean {
  return palette.level > 0;
}

/** The tone a cell's text carries, if any: by the whole text, then by its first word. */
export function toneOf(text: string): Tone | undefined {
  const lower = text.trim().toLowerCase();
  return TONE_OF_WORD[lower] ?? TONE_OF_WORD[lower.split(/[\s(,:]/, 1)[0]];
}

/** `text` in the colour of `tone` (plain when colour is off). */
export function paint(text: string, tone: Tone | undefined): string {
  if (tone === undefined || palette.level === 0) return text;
  switch (tone) {
    case 'good':
      return palette.green(text);
    case 'warn':
      return palette.yellow(text);
    case 'bad':
      return palette.red(text);
    case 'muted':
      return palette.gray(text);
    case 'accent':
      return palette.bold.cyan(text);
  }
}

/** A state, role, health or verdict coloured by what it means (`alive` green, `suspect` yellow, `dead` red, …). */
export function paintWord(text: string | null | undefined): string {
  if (text === null || text === undefined) return '-';
  return paint(text, toneOf(text));
}

/** Emphasis for headings and summaries. */
export function bold(text: string): string {
  return palette.level === 0 ? text : palette.bold(text);
}

/** Secondary text (hints, units). */
export function dim(text: string): string {
  return palette.level === 0 ? text : palette.dim(text);
}

/** A verdict report line (`verdict: VALID`, `  invalid  linearizable  …`) with its verdict word coloured. */
export function paintVerdictLine(line: string): string {
  const m = /^(\s*(?:verdict: )?)([A-Za-z-]+)(.*)$/.exec(line);
  if (!m || toneOf(m[2]) === undefined || !/^(valid|invalid|unknown|interrupted)$/i.test(m[2])) return line;
  return `${m[1]}${paintWord(m[2])}${m[3]}`;
}
