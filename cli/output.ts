import { stripVTControlCharacters } from 'node:util';
import type { CliError } from './errors.ts';

export interface Terminal {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

/** `NEXUS_RELAY_FORCE_TTY=1` makes stdout count as a terminal (tests, `watch`, pagers that keep colours). */
export const FORCE_TTY_ENV = 'NEXUS_RELAY_FORCE_TTY';

type Paint = (text: string) => string;
export interface Styles {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\x1b[${open}m${text}\x1b[${close}m`;
const COLOURS: Styles = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
};
const identity: Paint = (text) => text;
const PLAIN: Styles = { bold: identity, dim: identity, red: identity, green: identity, yellow: identity, cyan: identity };

const CLEAR_LINE = '\r\x1b[2K';

/**
 * How results reach the user. `--json`: exactly one JSON document on stdout per run (results and errors alike).
 * Otherwise human text; colours only when stdout is a terminal and `NO_COLOR` is unset or empty
 * (https://no-color.org), and a live status line (rewritten in place) only on a terminal.
 */
export class Output {
  readonly json: boolean;
  readonly tty: boolean;
  readonly color: boolean;
  readonly style: Styles;
  #liveLineOpen = false;

  constructor(
    private readonly terminal: Terminal,
    options: { json: boolean },
  ) {
    this.json = options.json;
    const forced = terminal.env[FORCE_TTY_ENV];
    this.tty = forced !== undefined && forced !== '' ? forced !== '0' : terminal.stdout.isTTY === true;
    this.color = this.tty && !this.json && !terminal.env.NO_COLOR;
    this.style = this.color ? COLOURS : PLAIN;
  }

  /** The result of a command: `document` in JSON mode, the lines `human` renders otherwise. */
  result(document: unknown, human: () => string | string[]): void {
    if (this.json) {
      this.#write(`${JSON.stringify(document, null, 2)}\n`);
      return;
    }
    const text = human();
    const lines = Array.isArray(text) ? text : [text];
    if (lines.length > 0) this.#write(`${lines.join('\n')}\n`);
  }

  /** A failure: the problem document in JSON mode (on stdout, so scripts read one stream); title, detail, request id otherwise. */
  error(error: CliError): void {
    this.#endLiveLine();
    if (this.json) {
      this.terminal.stdout.write(`${JSON.stringify(error.problem, null, 2)}\n`);
      return;
    }
    const { title, status, detail, request_id: requestId, fix, mx_code: mxCode } = error.problem;
    const lines = [
      `${this.style.red(this.style.bold('Error:'))} ${title}${status === undefined ? '' : this.style.dim(` (${status})`)}`,
    ];
    if (detail) lines.push(`  ${detail}`);
    // MX's own code, as docs/api.md tells to check it with `detail`.
    if (typeof mxCode === 'number') lines.push(`  ${this.style.dim('MX code:')} ${mxCode}`);
    if (typeof fix === 'string') lines.push(`  ${this.style.dim('fix:')} ${fix}`);
    if (requestId) lines.push(`  ${this.style.dim('request id:')} ${requestId}`);
    this.terminal.stderr.write(`${lines.join('\n')}\n`);
  }

  /** Progress in human mode: on a terminal one line rewritten in place; otherwise each call prints a line. */
  progress(text: string): void {
    if (this.json) return;
    if (this.tty) {
      // Kept to the terminal's width: a wrapped line could not be rewritten in place.
      const columns = this.terminal.stdout.columns;
      this.terminal.stdout.write(`${CLEAR_LINE}${columns ? truncateVisible(text, columns - 1) : text}`);
      this.#liveLineOpen = true;
    } else {
      this.terminal.stdout.write(`${text}\n`);
    }
  }

  /** Ends the live line (if any) with its final text. */
  progressDone(text: string): void {
    if (this.json) return;
    if (this.tty) {
      this.terminal.stdout.write(`${CLEAR_LINE}${text}\n`);
      this.#liveLineOpen = false;
    } else {
      this.terminal.stdout.write(`${text}\n`);
    }
  }

  /** Leaves a half-drawn live line (Ctrl-C, an error) so what follows starts on a line of its own. */
  interrupt(): void {
    this.#endLiveLine();
  }

  #endLiveLine(): void {
    if (this.#liveLineOpen) this.terminal.stdout.write('\n');
    this.#liveLineOpen = false;
  }

  #write(text: string): void {
    this.#endLiveLine();
    this.terminal.stdout.write(text);
  }
}

/** `text` cut to `width` visible characters; escape sequences are kept (and colours reset when cut). */
export function truncateVisible(text: string, width: number): string {
  if (stripVTControlCharacters(text).length <= width) return text;
  let visible = 0;
  let result = '';
  for (let index = 0; index < text.length && visible < width - 1;) {
    const escape = /^\x1b\[[0-9;]*m/.exec(text.slice(index));
    if (escape) {
      result += escape[0];
      index += escape[0].length;
      continue;
    }
    const character = String.fromCodePoint(text.codePointAt(index)!);
    result += character;
    index += character.length;
    visible += 1;
  }
  return `${result}…${text.includes('\x1b[') ? '\x1b[0m' : ''}`;
}

/** Columns padded to their widest cell (escape codes ignored when measuring). */
export function table(header: string[], rows: string[][], style: Styles): string[] {
  const width = (text: string) => stripVTControlCharacters(text).length;
  const widths = header.map((title, column) => Math.max(width(title), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - width(cell))))
      .join('  ')
      .trimEnd();
  return [style.bold(line(header)), ...rows.map(line)];
}

/** `label: value` lines, labels aligned. */
export function fields(entries: [label: string, value: string | undefined | null][], style: Styles): string[] {
  const shown = entries.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== null);
  const labelWidth = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${style.dim(`${label}:`.padEnd(labelWidth + 1))} ${value}`);
}

/** `12.3s`, `2m05s`: elapsed time for people. */
export function formatElapsed(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}
