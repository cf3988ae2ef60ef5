// A program started with `pod.run`.

import type { Channel } from './channel.js';
import { toBytes, type Data } from './data.js';

/** Standard input of a program started without a terminal. */
export interface ProcessStdin {
  /** Queues bytes for the program's stdin (strings as UTF-8). */
  write(data: Data): Promise<void>;
  /** Closes stdin: the program reads end-of-file once the queue is drained. */
  close(): Promise<void>;
}

export class Process {
  /** The process id inside the pod. */
  readonly pid: number;
  /**
   * Resolves with the exit code once the program ended: its exit status, or
   * 128 + n when signal n killed it (as a shell reports it).
   */
  readonly exited: Promise<number>;
  readonly stdin: ProcessStdin;
  /** The raw wait status (as waitpid reports it) once ended. */
  status: number | null = null;

  /** @internal */
  constructor(
    pid: number,
    private readonly channel: Channel,
    exited: Promise<number>,
  ) {
    this.pid = pid;
    this.exited = exited;
    this.stdin = {
      write: (data) => {
        const bytes = toBytes(data);
        return channel.call({ op: 'stdinWrite', pid, data: bytes }, [bytes.buffer]);
      },
      close: () => channel.call({ op: 'stdinClose', pid }),
    };
  }

  /** Sends a signal (default SIGTERM, 15), as kill(2) from root. */
  kill(signal = 15): Promise<void> {
    return this.channel.call({ op: 'kill', pid: this.pid, signal });
  }
}

/** Exit code of a wait status: the exit status, or 128 + signal. */
export function exitCode(status: number): number {
  const sig = status & 0x7f;
  return sig === 0 ? (status >> 8) & 0xff : 128 + sig;
}
