// `pod.createDefaultTerminal(element)`: an xterm.js terminal on a new pty
// of the pod. Keys typed go through the pty's line discipline (echo, ^C →
// SIGINT to the foreground process group); program output is drawn as it
// comes; resizing the element resizes the pty (SIGWINCH).

import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import type { ControlMessage } from '../protocol.js';
import type { Channel } from './channel.js';

const enc = new TextEncoder();
/** Retry interval for typed input the pty had no room for. */
const INPUT_RETRY_MS = 10;

/** A pod terminal: the xterm.js `Terminal` (its whole API) plus the pty behind it. */
export type DefaultTerminal = Terminal & {
  /** @internal the kernel's handle of the pty */
  readonly pty: number;
  /** Whether every program on the terminal has closed it (until the next `run` on it). */
  readonly hungUp: boolean;
};

/** Adds xterm.js's stylesheet (served next to wasmpod.js) once per document. */
function ensureStylesheet(base: URL): void {
  const href = new URL('xterm.css', base).href;
  if ([...document.querySelectorAll('link[rel=stylesheet]')].some((l) => (l as HTMLLinkElement).href === href)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.append(link);
}

export async function createDefaultTerminal(
  channel: Channel,
  base: URL,
  element: HTMLElement,
  onEvent: (l: (m: ControlMessage) => void) => () => void,
): Promise<DefaultTerminal> {
  ensureStylesheet(base);
  const pty = await channel.call<number>({ op: 'ptyOpen' });
  const term = new Terminal({
    cursorBlink: true,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(element);
  let hungUp = false;

  // Input: in order, retried while the pty's input buffer is full.
  let pending: Uint8Array[] = [];
  let sending = false;
  const send = async () => {
    if (sending) return;
    sending = true;
    try {
      while (pending.length) {
        const n = await channel.call<number>({ op: 'ptyWrite', pty, data: pending[0] });
        if (n >= pending[0].length) pending.shift();
        else {
          pending[0] = pending[0].subarray(n);
          await new Promise((r) => setTimeout(r, INPUT_RETRY_MS));
        }
      }
    } catch {
      pending = [];
    } finally {
      sending = false;
    }
  };
  term.onData((s) => {
    pending.push(enc.encode(s));
    void send();
  });
  term.onBinary((s) => {
    pending.push(Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff));
    void send();
  });

  const off = onEvent((m) => {
    if (m.kind === 'ptyOutput' && m.pty === pty) {
      hungUp = false;
      term.write(m.data);
    } else if (m.kind === 'ptyClosed' && m.pty === pty) hungUp = true;
  });

  // Size: the pty follows the terminal, the terminal follows the element.
  let last = '';
  const resize = (rows: number, cols: number) => {
    const key = `${rows}x${cols}`;
    if (key === last) return;
    last = key;
    void channel.call({ op: 'ptyResize', pty, rows, cols }).catch(() => {});
  };
  term.onResize(({ rows, cols }) => resize(rows, cols));
  const refit = () => {
    if (element.clientWidth > 0 && element.clientHeight > 0) fit.fit();
  };
  const observer = new ResizeObserver(refit);
  observer.observe(element);
  refit();
  resize(term.rows, term.cols);

  const dispose = term.dispose.bind(term);
  Object.defineProperties(term, {
    pty: { value: pty },
    hungUp: { get: () => hungUp },
    dispose: {
      value: () => {
        observer.disconnect();
        off();
        void channel.call({ op: 'ptyClose', pty }).catch(() => {});
        dispose();
      },
    },
  });
  return term as DefaultTerminal;
}
