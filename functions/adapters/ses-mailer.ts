/** Emails through Amazon SES (`SendEmail`, plain-text and HTML parts). */
import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { Mailer, RenderedEmail } from '../domain/ports/email.js';

export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESClient,
    private readonly sender: string,
    private readonly configurationSetName?: string,
  ) {}

  async send(email: RenderedEmail): Promise<{ messageId: string }> {
    const output = await this.client.send(
      new SendEmailCommand({
        Source: this.sender,
        // The bare address only: display names are claim data, and headers are no place for it.
        Destination: { ToAddresses: [email.to.email] },
        Message: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: {
            Text: { Data: email.text, Charset: 'UTF-8' },
            Html: { Data: email.html, Charset: 'UTF-8' },
          },
        },
        ...(this.configurationSetName && { ConfigurationSetName: this.configurationSetName }),
        Tags: [{ Name: 'template', Value: email.template }],
      }),
    );
    // SES always answers an accepted email with its id; the ledger records it for support.
    return { messageId: output.MessageId ?? 'unknown' };
  }
}
