/** The part of linkify-it 5 (untyped) the email tests use as a mail client's autolinker. */
declare module 'linkify-it' {
  export interface Match {
    /** The text as it appears, and the URL a client would link it to. */
    raw: string;
    url: string;
  }
  export default class LinkifyIt {
    match(text: string): Match[] | null;
  }
}
