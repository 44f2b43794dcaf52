import type { Page } from 'playwright-core';

/** What a merchant does on the sign-up and sign-in screens, through labels and roles as a person would. */

export const PASSWORD = 'correct horse battery staple';

export async function signUp(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/#/signup');
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Signs in from wherever the sign-in screen is showing; does not navigate first. */
export async function signInHere(page: Page, username: string, password = PASSWORD, remember = false): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (remember) await page.getByLabel('Remember me on this device').check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export async function signIn(page: Page, username: string, password = PASSWORD, remember = false): Promise<void> {
  await page.goto('/#/signin');
  await signInHere(page, username, password, remember);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

/** Navigates by hash, as the app's own links do (no reload, so in-memory state survives). */
export async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
}
