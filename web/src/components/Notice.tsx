import type { ComponentChildren } from 'preact';

interface NoticeProps {
  tone?: 'info' | 'success' | 'error' | 'warning';
  children: ComponentChildren;
  id?: string;
}

/**
 * A message box. Errors use role="alert" (announced at once); the rest role="status" (announced
 * politely). Render the box only when there is something to say, so the announcement happens.
 */
export function Notice({ tone = 'info', children, id }: NoticeProps) {
  return (
    <div id={id} class={`notice notice--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
