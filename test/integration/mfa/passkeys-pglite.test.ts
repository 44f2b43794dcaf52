import { passkeySuite } from './passkey-suite.js';

passkeySuite('pglite');
