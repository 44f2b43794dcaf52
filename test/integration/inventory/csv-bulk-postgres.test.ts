import { describeBulkImport } from './csv-bulk-suite.js';

describeBulkImport('postgres');
