// The dedicated-worker global, typed for what the runtime uses (the
// project compiles against the DOM lib, which types `self` as a Window).

export interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  close(): void;
}

export const scope = self as unknown as WorkerScope;
