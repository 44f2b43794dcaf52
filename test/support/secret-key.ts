/**
 * The fixed SECRET_KEY of test servers (in-process and spawned): 32 bytes, base64. Tests only; a real
 * deployment makes its own (docs/operations.md, "The secret key"). A second one for rotation tests.
 */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_SECRET_KEY_NEXT = Buffer.alloc(32, 9).toString('base64');
