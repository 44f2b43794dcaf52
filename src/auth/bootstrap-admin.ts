import { AppError } from '../errors.js';
import type { Authenticator } from './authenticator.js';
import type { Users } from './users.js';

/**
 * Ensures the configured admin exists (BOOTSTRAP_ADMIN_*). An existing account of that name is left
 * as it is: the variable creates, it never resets a password or promotes someone.
 * Returns true when it created the account.
 */
export async function ensureAdmin(users: Users, authenticator: Authenticator, username: string, password: string): Promise<boolean> {
  if (await users.findByUsername(username)) return false;
  try {
    await authenticator.register(username, password, 'admin');
    return true;
  } catch (err) {
    if (err instanceof AppError && err.code === 'conflict') return false; // another server won the race
    throw err;
  }
}
