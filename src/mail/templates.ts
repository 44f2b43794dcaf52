import { escapeHtml, type OutgoingMail } from './message.js';

/**
 * The words of every mail Stockade sends. Links come from the caller, who builds them from PUBLIC_URL
 * (never from the request's Host or X-Forwarded-Host: a poisoned Host would send the token to an
 * attacker's domain). Every value is escaped in the HTML body; the text body is plain text, so a
 * username cannot inject markup into either. Subjects hold no user input (a header: no CR/LF risk).
 */

interface Paragraphs {
  readonly kind: string;
  readonly to: string;
  readonly subject: string;
  /** Paragraphs of plain text; a `{ link }` paragraph is a link, shown as its own line. */
  readonly body: readonly (string | { readonly link: string; readonly label: string })[];
}

function compose(m: Paragraphs): OutgoingMail {
  const text = m.body.map((p) => (typeof p === 'string' ? p : `${p.label}:\n${p.link}`)).join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">',
    ...m.body.map((p) =>
      typeof p === 'string'
        ? `<p>${escapeHtml(p)}</p>`
        : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.label)}</a><br><span style="font-size: smaller">${escapeHtml(p.link)}</span></p>`,
    ),
    '</body></html>',
  ].join('\n');
  return { kind: m.kind, to: m.to, subject: m.subject, text: `${text}\n`, html };
}

const NOT_YOU = 'If this was not you, reset your password now and tell your administrator.';

export function verifyEmailMail(to: string, username: string, link: string, ttlText: string): OutgoingMail {
  return compose({
    kind: 'verify-email',
    to,
    subject: 'Confirm your e-mail address for Stockade',
    body: [
      `Hello ${username},`,
      'please confirm that this address belongs to your Stockade account.',
      { link, label: 'Confirm this address' },
      `The link works once and for ${ttlText}. If you did not ask for this, ignore this mail: nothing changes.`,
    ],
  });
}

/** To an address already verified by another account: that account's owner learns of the attempt, the requester nothing. */
export function addressInUseMail(to: string): OutgoingMail {
  return compose({
    kind: 'address-in-use',
    to,
    subject: 'Someone tried to add your e-mail address to a Stockade account',
    body: [
      'Someone asked to use this address for another Stockade account. It already belongs to your account, so nothing was changed.',
      'If that was you, you do not need to do anything. One account can have this address at a time.',
    ],
  });
}

export function passwordResetMail(to: string, username: string, link: string, ttlText: string): OutgoingMail {
  return compose({
    kind: 'password-reset',
    to,
    subject: 'Reset your Stockade password',
    body: [
      `Hello ${username},`,
      'someone (hopefully you) asked to reset the password of your Stockade account.',
      { link, label: 'Choose a new password' },
      `The link works once and for ${ttlText}; a newer request voids it. If you did not ask for this, ignore this mail: your password stays as it is.`,
    ],
  });
}

export function passwordChangedMail(to: string, username: string, how: 'changed' | 'reset'): OutgoingMail {
  return compose({
    kind: 'password-changed',
    to,
    subject: 'Your Stockade password was changed',
    body: [
      `Hello ${username},`,
      how === 'reset'
        ? 'the password of your Stockade account was just set with a reset link, and every session was signed out.'
        : 'the password of your Stockade account was just changed, and your other sessions were signed out.',
      NOT_YOU,
    ],
  });
}

export function emailChangedMail(to: string, username: string): OutgoingMail {
  return compose({
    kind: 'email-changed',
    to,
    subject: 'Your Stockade e-mail address was changed',
    body: [
      `Hello ${username},`,
      'the e-mail address of your Stockade account was changed, and mail for the account no longer comes to this address.',
      NOT_YOU,
    ],
  });
}

export function emailChangeRequestedMail(to: string, username: string): OutgoingMail {
  return compose({
    kind: 'email-change-requested',
    to,
    subject: 'A new e-mail address was set for your Stockade account',
    body: [
      `Hello ${username},`,
      'someone signed in to your Stockade account asked to use another e-mail address for it. It takes effect once the new address is confirmed.',
      NOT_YOU,
    ],
  });
}

export function newDeviceMail(to: string, username: string, device: string, network: string, at: Date): OutgoingMail {
  return compose({
    kind: 'new-device',
    to,
    subject: 'New sign-in to your Stockade account',
    body: [
      `Hello ${username},`,
      `your Stockade account was signed in to from a device it has not seen before: ${device}, network ${network}, at ${at.toISOString()}.`,
      NOT_YOU,
    ],
  });
}

export function secondFactorRemovedMail(to: string, username: string, how: 'removed' | 'reset'): OutgoingMail {
  return compose({
    kind: 'second-factor-removed',
    to,
    subject: 'A second factor was removed from your Stockade account',
    body: [
      `Hello ${username},`,
      how === 'reset'
        ? 'an administrator removed every second factor (authenticator app, recovery codes, passkeys) from your Stockade account.'
        : 'a second factor was removed from your Stockade account.',
      NOT_YOU,
    ],
  });
}

/** An invitation to join a shop (docs/api.md "Shops, members, invitations"): the shop's and inviter's names are user input, escaped by compose. */
export function invitationMail(to: string, inviter: string, shopName: string, role: string, link: string, ttlText: string): OutgoingMail {
  return compose({
    kind: 'invitation',
    to,
    subject: 'You are invited to a shop on Stockade',
    body: [
      `${inviter} invites you to join the shop "${shopName}" on Stockade as ${role}.`,
      { link, label: 'Join the shop' },
      `The link works once and for ${ttlText}, and only for a Stockade account with this e-mail address confirmed. If you do not expect this, ignore this mail.`,
    ],
  });
}
