import { ActivityEventSchema, AuditEventSchema } from '../schemas/audit.js';
import { ItemSchema, MovementSchema, SummarySchema } from '../schemas/inventory.js';
import { ReadinessSchema } from '../schemas/ops.js';
import { ProblemSchema } from '../schemas/problem.js';
import { SessionListEntrySchema, SessionSchema, SignedInSchema } from '../schemas/sessions.js';
import { AdminUserSchema, UserSchema } from '../schemas/users.js';

/*
 * The shared shapes, listed under components.schemas of the OpenAPI document so readers (and the web
 * app's generated types, web/src/api/schema.gen.ts) can name them. The very same schema objects are the
 * routes' response schemas (src/http/schemas/), so a component cannot say one thing while a route sends
 * another. Problem is referenced by every error answer (openapi-operations.ts).
 */
export const COMPONENT_SCHEMAS: Record<string, unknown> = {
  Problem: ProblemSchema,
  User: UserSchema,
  Session: SessionSchema,
  SessionListEntry: SessionListEntrySchema,
  SignedIn: SignedInSchema,
  Item: ItemSchema,
  Movement: MovementSchema,
  Summary: SummarySchema,
  AdminUser: AdminUserSchema,
  AuditEvent: AuditEventSchema,
  ActivityEvent: ActivityEventSchema,
  Readiness: ReadinessSchema,
};

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
