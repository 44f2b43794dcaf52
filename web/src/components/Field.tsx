import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';

interface FieldProps {
  label: string;
  value: string;
  onValue: (value: string) => void;
  type?: 'text' | 'password' | 'number' | 'search' | 'email';
  name?: string;
  error?: string | undefined;
  hint?: ComponentChildren;
  required?: boolean;
  autoComplete?: string;
  inputMode?: 'text' | 'numeric' | 'decimal' | 'search';
  multiline?: boolean;
  disabled?: boolean;
  autoFocus?: boolean;
  className?: string;
  /** Attributes for tests and for the CSS of particular inputs. */
  id?: string;
}

/**
 * One labelled input. The label is a real <label for>, the hint and error are tied to the input with
 * aria-describedby, and an error sets aria-invalid, so a screen reader reads all three together.
 * No maxlength: the server validates lengths (and a password manager's long password must fit).
 */
export function Field(props: FieldProps) {
  const generated = useId();
  const id = props.id ?? `f-${generated}`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.hint ? hintId : '', props.error ? errorId : ''].filter(Boolean).join(' ');
  const common = {
    id,
    name: props.name,
    value: props.value,
    required: props.required,
    disabled: props.disabled,
    autoFocus: props.autoFocus,
    'aria-invalid': props.error ? ('true' as const) : undefined,
    'aria-describedby': describedBy || undefined,
  };
  return (
    <div class={`field${props.error ? ' field--error' : ''}${props.className ? ` ${props.className}` : ''}`}>
      <span class="field__label">
        <label for={id}>{props.label}</label>
        {/* Outside the label so the accessible name stays the label; `required` tells assistive tech. */}
        {props.required ? (
          <span class="req" aria-hidden="true">
            *
          </span>
        ) : null}
      </span>
      {props.multiline ? (
        <textarea {...common} rows={3} onInput={(e) => props.onValue(e.currentTarget.value)} />
      ) : (
        <input
          {...common}
          // Preact types inputs as a union keyed on `type`; one literal keeps the union happy.
          type={(props.type ?? 'text') as 'text'}
          autoComplete={props.autoComplete}
          inputMode={props.inputMode}
          onInput={(e) => props.onValue(e.currentTarget.value)}
        />
      )}
      {props.hint ? (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="error-text" id={errorId}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

interface CheckboxProps {
  label: string;
  checked: boolean;
  onChecked: (checked: boolean) => void;
  name?: string;
  hint?: string;
}

export function Checkbox(props: CheckboxProps) {
  const id = `c-${useId()}`;
  return (
    <div class="check">
      <input
        id={id}
        type="checkbox"
        name={props.name}
        checked={props.checked}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={(e) => props.onChecked(e.currentTarget.checked)}
      />
      <label for={id}>{props.label}</label>
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
    </div>
  );
}

interface SelectProps<T extends string> {
  label: string;
  value: T | '';
  options: readonly { value: T; label: string }[];
  onValue: (value: T) => void;
  placeholder?: string;
  error?: string | undefined;
  required?: boolean;
  name?: string;
}

export function Select<T extends string>(props: SelectProps<T>) {
  const id = `s-${useId()}`;
  return (
    <div class={`field${props.error ? ' field--error' : ''}`}>
      <span class="field__label">
        <label for={id}>{props.label}</label>
        {/* Outside the label so the accessible name stays the label; `required` tells assistive tech. */}
        {props.required ? (
          <span class="req" aria-hidden="true">
            *
          </span>
        ) : null}
      </span>
      <select
        id={id}
        name={props.name}
        value={props.value}
        required={props.required}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
        onChange={(e) => props.onValue(e.currentTarget.value as T)}
      >
        {props.placeholder !== undefined ? (
          <option value="" disabled>
            {props.placeholder}
          </option>
        ) : null}
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {props.error ? (
        <p class="error-text" id={`${id}-error`}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}
