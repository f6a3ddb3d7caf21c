/** E-mail pages through SMTP (nodemailer), so a page still goes out when chat is down. */
import type nodemailer from 'nodemailer';
import type * as MailerDriver from 'nodemailer';
import { lazyRequire } from '../lazy-require.js';

const mailer = lazyRequire<typeof MailerDriver>('nodemailer');

export interface Mailer {
  send(msg: { to: string; subject: string; text: string }): Promise<void>;
}

export class SmtpMailer implements Mailer {
  private readonly transport: nodemailer.Transporter;

  /** `smtpUrl`: `smtp://user:pass@host:587` or `smtps://…`. */
  constructor(smtpUrl: string, private readonly from: string, timeoutMs = 15_000) {
    this.transport = mailer().createTransport(smtpUrl, { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
  }

  async send(msg: { to: string; subject: string; text: string }): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...msg });
  }

  close(): void {
    this.transport.close();
  }
}
