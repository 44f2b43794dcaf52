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
export const COMPONENT_SCHEMAS: Record<string, object> = {
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

/*
 * The routes keep their schemas whole (they are the serializers, and the test suite validates answers
 * with them), so @fastify/swagger writes every shape out in full wherever it is used. This puts the
 * references back in the document: every schema in the paths and in the components that *is* a component
 * (the same JSON, but for its description) becomes a `$ref` to it, keeping a description of its own as a
 * sibling (OpenAPI 3.1 allows that). Compared as JSON rather than by identity: @fastify/swagger copies the
 * schemas, writes `const: x` as `enum: [x]`, and a schema may be a copy with another description
 * (Problem's `current` is an Item). How it can fail: two components with the same JSON would both be
 * referenced under one name; they would be the same type anyway.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The JSON that identifies a schema: keys sorted, `const` as `enum`, its own description left out. */
function fingerprint(schema: Json, top = true): string {
  if (Array.isArray(schema)) return `[${schema.map((s) => fingerprint(s, false)).join(',')}]`;
  if (schema === null || typeof schema !== 'object') return JSON.stringify(schema);
  const entries = Object.entries(schema)
    .filter(([key]) => !(top && key === 'description'))
    .map(([key, value]): [string, Json] => (key === 'const' ? ['enum', [value]] : [key, value]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${fingerprint(value, false)}`).join(',')}}`;
}

const isSchemaObject = (node: Json): node is { [key: string]: Json } => typeof node === 'object' && node !== null && !Array.isArray(node);

/** `node` with every component inside it (but `self`, the component being written) replaced by a reference. */
function referenced(node: Json, byFingerprint: Map<string, string>, self?: string): Json {
  if (Array.isArray(node)) return node.map((n) => referenced(n, byFingerprint));
  if (!isSchemaObject(node)) return node;
  const name = byFingerprint.get(fingerprint(node));
  if (name !== undefined && name !== self) {
    const component = COMPONENT_SCHEMAS[name] as { description?: string };
    const { description } = node;
    return { ...ref(name), ...(description !== undefined && description !== component.description ? { description } : {}) };
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, referenced(value, byFingerprint)]));
}

/** The document's paths and components, with each component written once and referenced everywhere else. */
export function referenceComponents(doc: { paths?: object; components?: { schemas?: object } }): void {
  const schemas = JSON.parse(JSON.stringify(COMPONENT_SCHEMAS)) as Record<string, Json>;
  const byFingerprint = new Map(Object.entries(schemas).map(([name, schema]) => [fingerprint(schema), name]));
  doc.components = {
    ...doc.components,
    schemas: {
      ...doc.components?.schemas,
      ...Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, referenced(schema, byFingerprint, name)])),
    },
  };
  if (doc.paths) doc.paths = referenced(doc.paths as Json, byFingerprint) as object;
}
