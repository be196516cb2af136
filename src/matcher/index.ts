/** The lookup structures moved to the compiled requirement index (src/requirements/lookup.ts). */
export { AddrIndex, PortIndex } from '../requirements/lookup.js';
