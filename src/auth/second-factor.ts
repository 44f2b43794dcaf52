/**
 * The second factor as account recovery sees it (docs/api.md "E-mail and account recovery": the reset
 * POST needs the second factor when one is enrolled). `SecondFactors.forRecovery()` (second-factor/)
 * implements it.
 */
export interface SecondFactorProof {
  readonly code?: string | undefined;
  readonly recoveryCode?: string | undefined;
  /**
   * A WebAuthn assertion response (JSON), as the sign-in's `passkey` field. Not checked here: its
   * challenge is bound to the reset link, so the reset route checks it (http/routes/password-reset.ts).
   */
  readonly passkey?: unknown;
}

export interface SecondFactor {
  /** Whether the user has any second factor (TOTP, passkey). */
  enrolled(userId: string): Promise<boolean>;
  /**
   * True when `proof` is a valid second factor of the user (and uses it up: a TOTP code or a recovery
   * code counts as used). False for a missing or wrong proof. The caller counts failures.
   */
  verify(userId: string, proof: SecondFactorProof): Promise<boolean>;
}
