// The kernel-instance layer on its own, for hosts other than the browser
// runtime (the Node test glue in web/host/ loads this bundle).

export * from './instance.js';
export * from './module-info.js';
