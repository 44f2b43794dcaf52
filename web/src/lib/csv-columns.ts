/*
 * The spreadsheet's vocabulary in the web app is the server's own module (src/inventory/csv-headers.ts,
 * pure data), imported here rather than copied like money.ts: the mapping step offers exactly the fields
 * the import accepts, and the preview names fields with the export's headers.
 */
export { COLUMN_TARGETS, type ColumnTarget, FIELD_HEADERS, TARGET_LABELS } from '../../../src/inventory/csv-headers';
