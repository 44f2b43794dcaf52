import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nonCanonicalTarget } from '../../../src/http/request-target.js';

/** S-71: the one spelling the router would produce is accepted; every other spelling of a path is refused. */
test('canonical targets pass, whatever their query or encoded reserved and non-ASCII characters', () => {
  for (const url of [
    '/',
    '/api/items',
    '/api/items?q=%61%62c&limit=5',
    '/api/items/%2F',
    '/api/items/caf%C3%A9',
    '/api/items/a%20b',
    '/api/items?next=http://x/#frag',
    '/api/items/%zz',
    '/api/items/%4',
  ]) {
    assert.equal(nonCanonicalTarget(url), null, url);
  }
});

test('absolute-form, asterisk-form, fragments and encoded unreserved characters are refused', () => {
  for (const [url, reason] of [
    ['http://127.0.0.1:3000/api/items', 'not origin-form'],
    ['HTTPS://host/api/items', 'not origin-form'],
    ['*', 'not origin-form'],
    ['api/items', 'not origin-form'],
    ['/api/items#x', 'fragment'],
    ['/%61pi/items', 'percent-encoded unreserved character'],
    ['/ap%69/items', 'percent-encoded unreserved character'],
    ['/api/item%73', 'percent-encoded unreserved character'],
    ['/api/items/%2e%2e', 'percent-encoded unreserved character'],
    ['/api/items/%7E', 'percent-encoded unreserved character'],
    ['/api/items/%5F?x=1', 'percent-encoded unreserved character'],
    ['/api/%2F%30', 'percent-encoded unreserved character'],
  ] as const) {
    assert.equal(nonCanonicalTarget(url), reason, url);
  }
});
