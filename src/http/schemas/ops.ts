import { Type } from 'typebox';

export const HealthSchema = Type.Object({ status: Type.Literal('ok') });

export const ReadinessSchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('unavailable')]),
  // A map of check name → state: additionalProperties, so the serializer keeps every key.
  checks: Type.Object({}, { additionalProperties: Type.Union([Type.Literal('ok'), Type.Literal('down')]) }),
});
