import { resetByMailSuite } from './reset-by-mail.js';

/** "Forgot password?" end to end on redis (the suite: reset-by-mail.ts). */
resetByMailSuite('postgres', true);
