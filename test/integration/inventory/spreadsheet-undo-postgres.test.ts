import { describeSpreadsheetUndo } from './spreadsheet-undo-suite.js';

describeSpreadsheetUndo('postgres');
