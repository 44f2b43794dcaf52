import { Query } from './common.js';

/** GET /api/events takes no parameter: anything in the query string is a 400, not silently a stream. */
export const EventsQuery = Query({});
