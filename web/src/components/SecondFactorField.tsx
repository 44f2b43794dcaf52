import { Field } from './Field';

/**
 * The second factor as people enter it: a code from the authenticator app, or — when the phone is not at
 * hand — one of the recovery codes. Used by the second step of sign-in and by the step-up prompt.
 */
export interface SecondFactorInput {
  useRecovery: boolean;
  value: string;
}

export function proofOf(input: SecondFactorInput): { code: string } | { recoveryCode: string } {
  return input.useRecovery ? { recoveryCode: input.value.trim() } : { code: input.value.replace(/\s/g, '') };
}

export function SecondFactorField({
  input,
  onInput,
  error,
  autoFocus,
}: {
  input: SecondFactorInput;
  onInput: (next: SecondFactorInput) => void;
  error?: string | undefined;
  autoFocus?: boolean;
}) {
  return (
    <div class="stack">
      {input.useRecovery ? (
        <Field
          key="recovery"
          label="Recovery code"
          name="recoveryCode"
          value={input.value}
          onValue={(value) => onInput({ ...input, value })}
          autoComplete="off"
          hint="One of the codes you saved when you set up two-factor sign-in. Each works once."
          error={error}
          required
          autoFocus={autoFocus}
        />
      ) : (
        <Field
          key="code"
          label="Authentication code"
          name="code"
          value={input.value}
          onValue={(value) => onInput({ ...input, value })}
          autoComplete="one-time-code"
          inputMode="numeric"
          hint="The 6-digit code your authenticator app shows for Stockade."
          error={error}
          required
          autoFocus={autoFocus}
        />
      )}
      <button type="button" class="btn btn--ghost btn--small" onClick={() => onInput({ useRecovery: !input.useRecovery, value: '' })}>
        {input.useRecovery ? 'Use a code from the app' : 'Use a recovery code'}
      </button>
    </div>
  );
}
