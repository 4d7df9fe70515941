/**
 * A learning page as `ccm learn <page>` prints it: Markdown turned into plain text at most 80 columns wide.
 * Headings are underlined, paragraphs and list items wrapped, code blocks indented and kept as written (the pages
 * keep their lines short enough), tables kept as written, links shown as text with their target, and each
 * question's folded answer (<details>) hidden unless asked for.
 */
export interface RenderOptions {
  /** Show the answers of the questions (default: a hint to ask for them). */
  showAnswers?: boolean;
  /** The command that shows this page with its answers, for the hint. */
  answersHint?: string;
  width?: number;
}

/** Inline Markdown to plain text: code spans and emphasis lose their marks, links keep their target. */
export function plainInline(text: string): string {
  return text
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, (_, label: string, target: string) => {
      if (/^https?:/.test(target)) return `${label} (${target})`;
      const page = /(?:^|\/)(?:([0-9]{2})-[a-z-]+|index)\.md$/.exec(target);
      if (page) return `${label} (ccm learn ${page[1] === undefined ? '0' : Number(page[1])})`;
      return `${label} (${target})`;
    })
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/(^|[\s(])\*([^*\s][^*]*)\*/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/<\/?(code|b|i|em|strong)>/g, '');
}

export function wrapText(text: string, width: number, first = '', rest = first): string[] {
  const out: string[] = [];
  let line = first;
  let isEmpty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!isEmpty && line.length + 1 + word.length > width) {
      out.push(line);
      line = rest + word;
    } else {
      line += (isEmpty ? '' : ' ') + word;
    }
    isEmpty = false;
  }
  if (!isEmpty) out.push(line);
  return out;
}

export function renderForTerminal(markdown: string, options: RenderOptions = {}): string {
  const width = options.width ?? 80;
  const out: string[] = [];
  const lines = markdown.split('\n');
  let paragraph: string[] = [];
  let listItem: { marker: string; text: string[] } | null = null;
  const flushParagraph = (): void => {
    if (paragraph.length > 0) out.push(...wrapText(plainInline(paragraph.join(' ')), width), '');
    paragraph = [];
  };
  const flushItem = (): void => {
    if (listItem) {
      const indent = ' '.repeat(listItem.marker.length + 1);
      out.push(...wrapText(plainInline(listItem.text.join(' ')), width, `${listItem.marker} `, indent));
    }
    listItem = null;
  };
  const flush = (): void => {
    flushParagraph();
    if (listItem) {
      flushItem();
      out.push('');
    }
  };
  let answersHidden = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^(```+|~~~+)\s*(\S*)/.exec(line);
    if (fence) {
      flush();
      const close = fence[1];
      for (i++; i < lines.length && !lines[i].startsWith(close); i++) out.push(`  ${lines[i]}`);
      out.push('');
      continue;
    }
    const heading = /^(#{1,4})\s+(.+)$/.exec(line);
    if (heading) {
      flush();
      const text = plainInline(heading[2]);
      out.push(text, (heading[1].length === 1 ? '=' : '-').repeat(Math.min(width, text.length)), '');
      continue;
    }
    if (line.trim().startsWith('<details>')) {
      flush();
      // <details><summary>Question</summary> ... answer ... </details>
      let block = line;
      while (!block.includes('</details>') && i + 1 < lines.length) block += '\n' + lines[++i];
      const question = /<summary>([\s\S]*?)<\/summary>/.exec(block)?.[1].trim() ?? '';
      const answer = block.replace(/[\s\S]*<\/summary>/, '').replace(/<\/details>[\s\S]*/, '').trim();
      out.push(...wrapText(plainInline(question), width, 'Q: ', '   '));
      if (options.showAnswers) {
        for (const para of answer.split(/\n\s*\n/)) out.push(...wrapText(plainInline(para.replace(/\s+/g, ' ')), width, '   ', '   '));
      } else {
        answersHidden++;
      }
      out.push('');
      continue;
    }
    if (line.startsWith('|')) {
      flush();
      const rows: string[][] = [];
      for (; i < lines.length && lines[i].startsWith('|'); i++) {
        if (/^\|[\s:|-]+\|$/.test(lines[i].trim())) continue; // the header rule
        rows.push(lines[i].trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => plainInline(c.trim())));
      }
      i--;
      out.push(...renderTable(rows, width), '');
      continue;
    }
    const item = /^(\s*)([-*]|\d+\.)\s+(.*)$/.exec(line);
    if (item) {
      flushParagraph();
      flushItem();
      listItem = { marker: `${item[1]}${item[2] === '*' ? '-' : item[2]}`, text: [item[3]] };
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (listItem && /^\s+\S/.test(line)) {
      listItem.text.push(line.trim());
      continue;
    }
    if (line.trim().startsWith('<!--')) {
      while (!lines[i].includes('-->') && i + 1 < lines.length) i++;
      continue;
    }
    paragraph.push(line.trim());
  }
  flush();
  if (answersHidden > 0 && options.answersHint) out.push(`(the answers: ${options.answersHint})`);
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

/** A table aligned in columns when it fits the width, else one wrapped line per row. */
function renderTable(rows: string[][], width: number): string[] {
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  if (widths.reduce((n, w) => n + w, 0) + 2 * (columns - 1) <= width) {
    return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  }
  return rows.flatMap((r) => wrapText(r.filter(Boolean).join(' | '), width, '', '    '));
}
