import { resetByMailSuite } from './reset-by-mail.js';

/** "Forgot password?" end to end on pglite (the suite: reset-by-mail.ts). */
resetByMailSuite('pglite', false);
