/**
 * Hostile values for the input fuzz, by the JSON schema of the field they replace. Every value here is
 * invalid for its field by construction: a server that accepts one has a hole.
 */

export interface JsonSchema {
  type?: string | string[];
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

export interface HostileValue {
  label: string;
  value: unknown;
}

const types = (s: JsonSchema) => new Set([s.type ?? []].flat());

/** Arrays nested `depth` deep: valid JSON, hostile to any recursive validator or serializer. */
export const deepArray = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;

export function hostileValues(schema: JsonSchema): HostileValue[] {
  const t = types(schema);
  const out: HostileValue[] = [];
  const add = (label: string, value: unknown) => out.push({ label, value });
  if (!t.has('null')) add('null', null);
  if (!t.has('string')) add('a string', '1');
  if (!t.has('integer') && !t.has('number')) add('a number', 12345);
  if (!t.has('boolean')) add('a boolean', true);
  if (!t.has('array')) add('an array', ['x']);
  if (!t.has('object')) add('an object', { x: 1 });
  add('deeply nested arrays', deepArray(2000));
  if (t.has('string')) {
    add('NUL inside', 'a\u0000b');
    add('a lone surrogate', 'a\ud800b');
    add('over its maximum length', 'x'.repeat(Math.min((schema.maxLength ?? 100_000) + 1, 500_000)));
    if (schema.enum) {
      add('__proto__ as an enum value', '__proto__');
      add('constructor as an enum value', 'constructor');
    }
  }
  if (t.has('integer')) {
    add('a fraction', 1.5);
    add('beyond 2^53', 2 ** 60);
    add('-2^53', -(2 ** 53));
    if (schema.maximum !== undefined) add('above its maximum', schema.maximum + 1);
    if (schema.minimum !== undefined) add('below its minimum', schema.minimum - 1);
  }
  if (t.has('array')) {
    add('an array of numbers', [1, 2]);
    if (schema.items && types(schema.items).has('string')) {
      add('an array with a NUL string', ['a\u0000b']);
      add('an array with a lone surrogate', ['\udfff']);
    }
    if (schema.maxItems !== undefined)
      add(
        'too many items',
        Array.from({ length: schema.maxItems + 1 }, (_, i) => `t${i}`),
      );
  }
  return out;
}

export interface RawBody {
  label: string;
  raw: string | Buffer;
  /** undefined: no Content-Type header at all (a Buffer body makes fetch send none). */
  contentType?: string;
  /** The status this one must get, when only one is right. */
  status?: number;
}

/** Bodies refused before any route looks at them: by the parser, the size limit or the media type. */
export function parserLevelBodies(valid: unknown): RawBody[] {
  const json = JSON.stringify(valid ?? {});
  const inner = json.length > 2 ? `,${json.slice(1)}` : '}';
  return [
    { label: '__proto__ key', raw: `{"__proto__":{"isAdmin":true,"polluted":1}${inner}`, contentType: 'application/json', status: 400 },
    {
      label: 'constructor.prototype key',
      raw: `{"constructor":{"prototype":{"polluted":1}}${inner}`,
      contentType: 'application/json',
      status: 400,
    },
    { label: 'malformed JSON', raw: '{"a":', contentType: 'application/json', status: 400 },
    {
      label: 'invalid UTF-8',
      raw: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
      contentType: 'application/json',
      status: 400,
    },
    { label: 'over 1 MiB', raw: JSON.stringify({ pad: 'x'.repeat(1_100_000) }), contentType: 'application/json', status: 413 },
    { label: 'text/plain', raw: json, contentType: 'text/plain', status: 415 },
    { label: 'form-urlencoded', raw: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded', status: 415 },
    {
      label: 'multipart',
      raw: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
      contentType: 'multipart/form-data; boundary=x',
      status: 415,
    },
    { label: 'XML', raw: '<a>1</a>', contentType: 'application/xml', status: 415 },
    { label: 'JSON labelled UTF-16', raw: json, contentType: 'application/json; charset=utf-16', status: 415 },
    { label: 'no Content-Type', raw: Buffer.from(json), status: 415 },
  ];
}

/** Whole bodies that parse but a route with a body schema must refuse. */
export function schemaLevelBodies(valid: Record<string, unknown>): RawBody[] {
  return [
    { label: 'unknown field', raw: JSON.stringify({ ...valid, extra: 1 }), contentType: 'application/json', status: 400 },
    { label: 'an array body', raw: JSON.stringify([valid]), contentType: 'application/json', status: 400 },
    { label: 'null body', raw: 'null', contentType: 'application/json', status: 400 },
    { label: 'empty body', raw: '', contentType: 'application/json', status: 400 },
    { label: 'a string body', raw: '"x"', contentType: 'application/json', status: 400 },
    // Valid JSON, so only a schema refuses it (a route that ignores its body may read it as nothing).
    { label: '100,000-deep nesting', raw: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, contentType: 'application/json', status: 400 },
  ];
}

/** Path parameter values: none names anything of this merchant. */
export const HOSTILE_IDS = [
  'not-a-uuid',
  '%00',
  '%ED%A0%80',
  '%',
  '..%2F..%2Fetc%2Fpasswd',
  '__proto__',
  'constructor',
  "1'%20OR%20'1'='1",
  'x'.repeat(65),
  'x'.repeat(300),
  '00000000-0000-0000-0000-000000000000',
];

/** Query values for a declared parameter `p`. */
export function hostileQueries(p: string): string[] {
  const out = [`${p}=a&${p}=b`, `${p}=${'x'.repeat(9000)}`, `${p}=%00`, `${p}=a%0Ab`, `${p}=%FF`, `${p}=%ED%A0%80`, `${p}=%`, `${p}[x]=1`];
  // Opaque cursors are base64url: well-formed ones that decode to NUL bytes or to invalid UTF-8.
  if (p === 'cursor') out.push(`${p}=AAAAAA`, `${p}=__8`, `${p}=-1`);
  return out;
}
