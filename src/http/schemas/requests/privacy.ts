import { LimitParam, Query } from './common.js';

/** Requests of the user's own data routes (docs/api.md "Privacy"); erasure takes PasswordBody (requests/auth.ts). */

export const ActivityQuery = Query({ limit: LimitParam(3) });
