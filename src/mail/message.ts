/**
 * One outgoing message as the queue holds it: a recipient, a subject and the same words twice, as
 * plain text and as HTML. Built by templates.ts (which escapes everything it puts into the HTML), sent
 * by transport.ts.
 */
export interface OutgoingMail {
  /** Which mail this is (`verify-email`, `password-reset`, …): logs and metrics name it, never its content. */
  readonly kind: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and quoted attributes: a username like `<img onerror=…>` stays text. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
