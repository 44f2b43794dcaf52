import {
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
  WebAuthnError,
} from '@simplewebauthn/browser';
import type { PasskeyAssertion, PasskeyCreationOptions, PasskeyRegisterInput, PasskeyRequestOptions } from '../api/types';

/**
 * The browser's side of a passkey ceremony, over @simplewebauthn/browser: the server's options in,
 * the authenticator's answer (JSON, base64url) out. The options and answers are the WebAuthn JSON
 * shapes on both sides; the server's declared types are looser (strings where WebAuthn has enums),
 * so they are handed across as the library's types.
 */

export function passkeysSupported(): boolean {
  return typeof window !== 'undefined' && typeof window.PublicKeyCredential === 'function';
}

export async function createPasskey(options: PasskeyCreationOptions): Promise<PasskeyRegisterInput['response']> {
  const response = await startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON });
  return response as PasskeyRegisterInput['response'];
}

export async function passkeyAssertion(options: PasskeyRequestOptions): Promise<PasskeyAssertion> {
  const response = await startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON });
  return response as PasskeyAssertion;
}

/** A ceremony the person cancelled (or let time out) says so plainly; anything else is the browser's message. */
export function describePasskeyError(err: unknown): string | null {
  if (err instanceof WebAuthnError || (err instanceof Error && err.name === 'NotAllowedError')) {
    return err instanceof WebAuthnError && err.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED'
      ? 'This passkey is already registered.'
      : 'The passkey was not used (cancelled or timed out). Try again.';
  }
  return null;
}
