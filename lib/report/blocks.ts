/**
 * A tiny document model for the reproduction report, rendered to Markdown (paper/REPRODUCTION.md)
 * and to self-contained HTML (paper/REPRODUCTION.html, figures embedded) from the same blocks,
 * so the two never disagree and no Markdown parser is needed.
 *
 * Inline text may use `code`, **bold**, *emphasis* and [links](url).
 */
import { htmlTable, markdownTable, type Row, type TableOptions } from './tables';

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; rows: Row[]; opts?: TableOptions; caption?: string }
  | {
      kind: 'figure';
      title: string;
      /** Path relative to the report. */ png: string;
      svg?: string;
      html?: string;
    }
  | { kind: 'code'; text: string };

export const h = (level: 1 | 2 | 3, text: string): Block => ({ kind: 'heading', level, text });
export const p = (text: string): Block => ({ kind: 'paragraph', text });
export const ul = (items: string[]): Block => ({ kind: 'list', items });
export const table = (rows: Row[], opts?: TableOptions, caption?: string): Block => ({
  kind: 'table',
  rows,
  opts,
  caption,
});

export function renderMarkdown(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`${'#'.repeat(b.level)} ${b.text}`);
        break;
      case 'paragraph':
        out.push(b.text);
        break;
      case 'list':
        out.push(b.items.map((i) => `- ${i}`).join('\n'));
        break;
      case 'table':
        out.push((b.caption ? `*${b.caption}*\n\n` : '') + markdownTable(b.rows, b.opts).trimEnd());
        break;
      case 'figure': {
        const links = [b.svg && `[SVG](${b.svg})`, b.html && `[interactive](${b.html})`]
          .filter(Boolean)
          .join(' · ');
        out.push(`![${b.title}](${b.png})` + (links ? `\n\n${b.title}: ${links}` : ''));
        break;
      }
      case 'code':
        out.push('```\n' + b.text + '\n```');
        break;
    }
  }
  return out.join('\n\n') + '\n';
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The inline Markdown subset above, to HTML (input escaped first). */
export function inlineHtml(s: string): string {
  const codes: string[] = [];
  let t = esc(s).replace(/`([^`]+)`/g, (_, c: string) => {
    codes.push(c);
    return `\u0000${codes.length - 1}\u0000`;
  });
  t = t
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '<a href="$2">$1</a>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\s][^*]*?)\*(?=[^*\w]|$)/g, '$1<em>$2</em>');
  // eslint-disable-next-line no-control-regex -- NUL marks a code span
  return t.replace(/\u0000(\d+)\u0000/g, (_, i: string) => `<code>${codes[Number(i)]}</code>`);
}

const CSS = `body{font-family:DejaVu Sans,Arial,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}
table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:0.9em}th,td{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3}caption{caption-side:top;text-align:left;font-style:italic;padding:4px 0}
img{max-width:100%;height:auto;border:1px solid #eee}code{background:#f5f5f5;padding:0 3px}
pre{background:#f5f5f5;padding:8px;overflow:auto}figure{margin:1em 0}figcaption{font-size:0.9em;color:#555}`;

/**
 * Self-contained HTML: `embed(relPath)` returns a data: URI for each figure's PNG, so the file
 * can be mailed or archived alone.
 */
export function renderHtml(blocks: Block[], title: string, embed: (rel: string) => string): string {
  const body: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        body.push(`<h${b.level}>${inlineHtml(b.text)}</h${b.level}>`);
        break;
      case 'paragraph':
        body.push(`<p>${inlineHtml(b.text)}</p>`);
        break;
      case 'list':
        body.push(`<ul>${b.items.map((i) => `<li>${inlineHtml(i)}</li>`).join('')}</ul>`);
        break;
      case 'table':
        body.push(htmlTable(b.rows, { ...b.opts, caption: b.caption }));
        break;
      case 'figure':
        body.push(
          `<figure><img alt="${esc(b.title)}" src="${embed(b.png)}"><figcaption>${inlineHtml(b.title)}</figcaption></figure>`,
        );
        break;
      case 'code':
        body.push(`<pre>${esc(b.text)}</pre>`);
        break;
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}
