import type { Queryable } from '../db/db.js';
import { AppError, type FieldError } from '../errors.js';
import type { Role } from './user.js';
import type { HashLimiter } from './hash-limiter.js';
import { checkNewPassword } from './password-policy.js';
import { dummyVerify, hashPassword, verifyPassword } from './passwords.js';
import { checkUsername } from './usernames.js';
import type { UserRow, Users } from './users.js';

/**
 * Credentials in, a user out. Every path costs one password hash (unknown user included, against a
 * dummy hash), and every "no" looks the same to the caller, so neither the answer nor its timing tells
 * whether a username exists, is disabled, or had the wrong password. Hashing runs through a bounded gate:
 * a flood of sign-ins is refused with 503 instead of starving every other request.
 */
export class Authenticator {
  constructor(
    private readonly users: Users,
    private readonly limiter: HashLimiter,
  ) {}

  /** `setUp` runs in the transaction that creates the user (sign-up opens the user's shop there). */
  async register(
    username: string,
    password: string,
    role: Role = 'merchant',
    setUp?: (tx: Queryable, user: UserRow) => Promise<void>,
  ): Promise<UserRow> {
    const errors: FieldError[] = [];
    const nameError = checkUsername(username);
    if (nameError) errors.push(nameError);
    errors.push(...checkNewPassword(password, { username }));
    if (errors.length > 0) throw new AppError('validation', 'The account could not be created.', { errors });
    const hash = await this.limiter.run(() => hashPassword(password));
    return setUp ? this.users.createWith(username, hash, role, setUp) : this.users.create(username, hash, role);
  }

  /** The user when the password is right and the account enabled; null for every other case. */
  async verifyCredentials(username: string, password: string): Promise<UserRow | null> {
    const user = checkUsername(username) ? null : await this.users.findByUsername(username);
    if (!user) {
      await this.limiter.run(() => dummyVerify(password));
      return null;
    }
    const ok = await this.checkPassword(user, password);
    return ok && !user.disabled ? user : null;
  }

  /** Step-up, password change and account deletion: the signed-in user's own password. */
  async checkPassword(user: UserRow, password: string): Promise<boolean> {
    const result = await this.limiter.run(() => verifyPassword(password, user.passwordHash));
    if (result.ok && result.needsRehash) {
      // A legacy bcrypt (or weaker argon2) hash is upgraded at the first sign-in that proves the password.
      const upgraded = await this.limiter.run(() => hashPassword(password));
      await this.users.setPasswordHash(user.id, upgraded, false);
    }
    return result.ok;
  }

  async changePassword(user: UserRow, newPassword: string): Promise<void> {
    const errors = checkNewPassword(newPassword, { username: user.username }).map((e) => ({ ...e, path: 'newPassword' }));
    if (errors.length > 0) throw new AppError('validation', 'Choose another password.', { errors });
    const hash = await this.limiter.run(() => hashPassword(newPassword));
    await this.users.setPasswordHash(user.id, hash, true);
  }
}
