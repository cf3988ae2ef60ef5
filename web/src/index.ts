// wasmpod's public API: `import { Pod } from '/wasmpod.js'`.

export { Pod } from './api/pod.js';
export type { BootOptions, RunOptions, Stat, FileHandle, FileType, PodTerminal } from './api/pod.js';
export { Process, type ProcessStdin } from './api/process.js';
export { PodError } from './api/channel.js';
export type { Data } from './api/data.js';
export type { DefaultTerminal } from './api/terminal.js';
