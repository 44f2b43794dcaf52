import { describeSpreadsheets } from './spreadsheets-suite.js';

describeSpreadsheets('postgres');
