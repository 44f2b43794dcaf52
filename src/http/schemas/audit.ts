import { Type } from 'typebox';
import { Id, Nullable, Time } from './common.js';

export const AuditEventSchema = Type.Object({
  id: Id,
  type: Type.String(),
  at: Time,
  userId: Nullable(Type.String()),
  actorId: Nullable(Type.String()),
  subject: Nullable(Type.String(), 'Pseudonym of a deleted account.'),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  // A map: additionalProperties, or the serializer would send {} (it drops undeclared keys).
  details: Type.Object({}, { additionalProperties: true }),
});

export const ActivityEventSchema = Type.Object({
  type: Type.String(),
  at: Time,
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  byAdmin: Type.Boolean(),
});
