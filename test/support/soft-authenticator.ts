import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { cbor } from './cbor.js';

/**
 * A software WebAuthn authenticator on node:crypto (ES256), for the server-side rules over HTTP: it
 * builds what a browser and an authenticator would send — clientDataJSON, authenticatorData (RP ID
 * hash, flags, sign counter), a `none` attestation object in CBOR, an ECDSA signature — from the
 * options the server gave. Every field a test wants to get wrong can be overridden.
 */

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export interface SoftCredential {
  readonly id: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly userHandle: string;
  counter: number;
}

export interface Ceremony {
  /** clientDataJSON's origin (default: the authenticator's). */
  origin?: string;
  /** The RP ID hashed into authenticatorData (default: the options', else the authenticator's). */
  rpId?: string;
  /** User verified (default true). */
  uv?: boolean;
  /** The challenge to sign over (default: the options'). */
  challenge?: string;
}

// Options as the server sends them (JSON): only the fields read here.
interface CreationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}
interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    readonly origin: string,
    readonly rpId: string = new URL(origin).hostname,
  ) {}

  /** navigator.credentials.create(): a new credential, and its registration response (JSON). */
  create(options: CreationOptions, c: Ceremony = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credential: SoftCredential = { id: randomBytes(32), privateKey, publicKey, userHandle: options.user.id, counter: 0 };
    this.credentials.push(credential);
    return { credential, response: this.attest(credential, options, c) };
  }

  /** The registration response for an existing credential (the same authenticator registered again). */
  attest(credential: SoftCredential, options: CreationOptions, c: Ceremony = {}) {
    const jwk = credential.publicKey.export({ format: 'jwk' });
    const coseKey = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      this.authData(c.rpId ?? options.rp.id ?? this.rpId, UP | (c.uv === false ? 0 : UV) | AT, credential.counter),
      Buffer.alloc(16),
      idLength,
      credential.id,
      cbor(coseKey),
    ]);
    const clientDataJSON = this.clientData('webauthn.create', c.challenge ?? options.challenge, c.origin);
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(cbor({ fmt: 'none', attStmt: {}, authData })),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /**
   * navigator.credentials.get(): an assertion by `credential` (default: the first allowed one, else the
   * newest), its counter moved on by one unless `counter` says what to send.
   */
  get(options: RequestOptions, c: Ceremony & { credential?: SoftCredential; counter?: number } = {}) {
    const allowed = options.allowCredentials?.map((a) => a.id) ?? [];
    const credential =
      c.credential ?? this.credentials.find((cr) => allowed.includes(b64u(cr.id))) ?? this.credentials[this.credentials.length - 1];
    if (!credential) throw new Error('soft authenticator: no credential');
    credential.counter = c.counter ?? credential.counter + 1;
    const authenticatorData = this.authData(c.rpId ?? options.rpId ?? this.rpId, UP | (c.uv === false ? 0 : UV), credential.counter);
    const clientDataJSON = this.clientData('webauthn.get', c.challenge ?? options.challenge, c.origin);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authenticatorData),
        signature: b64u(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  private authData(rpId: string, flags: number, counter: number): Buffer {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), counterBytes]);
  }

  private clientData(type: string, challenge: string, origin = this.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }
}
