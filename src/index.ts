export { createServer, type NomadMock } from './server.js';
export { DEFAULTS, type Config } from './config.js';
export { Store } from '../state/store.js';
