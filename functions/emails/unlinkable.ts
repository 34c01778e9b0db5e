/**
 * Partner-written text in emails must never become a link the recipient can click: mail
 * clients turn anything that looks like `example.com`, `http://…`, `www.…` or `a@b.example`
 * into a link, even in a plain-text part, so a partner could otherwise put a phishing link
 * into an email the service sends in its own name.
 */

/** U+2060 WORD JOINER: zero width, never a line break, and no autolinker reads it as part of a host. */
export const WORD_JOINER = '\u2060';

/**
 * The characters every link pattern needs inside a host, scheme or address: the dot (and the
 * ideographic and full-width dots that browsers and mail clients treat as one), `@`, `:`, the
 * first slash of `//host` and the backslashes of a Windows share path (`\\host\share`), ASCII
 * or full-width.
 */
const LINK_PUNCTUATION = /[.\u3002\uFF0E\uFF61@\uFF20:\uFF1A\\\uFF3C]|[/\uFF0F](?=[/\uFF0F])/gu;

/**
 * `text` with a word joiner after each link punctuation character: `contoso.com` reads the
 * same but `contoso.⁠com` is no domain to an autolinker, `http:⁠/⁠/⁠…` no scheme, `a@⁠b.⁠com` no
 * address. Only the service's own links (consent page, partner portal) stay clickable.
 */
export function unlinkable(text: string): string {
  return text.replace(LINK_PUNCTUATION, (mark) => `${mark}${WORD_JOINER}`);
}
