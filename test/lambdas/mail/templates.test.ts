/**
 * The mail templates and the local outbox's message format: what a
 * recipient's mail client would show.
 */
import { MAIL_TEMPLATES, renderMail } from '../../../lambdas/mail/templates';
import { firstLink, toEml } from '../../../lambdas/mail/outbox-mailer';

const LINK = 'https://app.example.com/account?x=1&y=2#reset_token=abc';

describe('renderMail', () => {
  it('puts the link in the text as is and escapes it in the HTML', () => {
    const mail = renderMail(MAIL_TEMPLATES.passwordReset, 'ann@example.com', { link: LINK, minutes: '15' });

    expect(mail.to).toBe('ann@example.com');
    expect(mail.text).toContain(`\n${LINK}\n`);
    expect(mail.text).toContain('within 15 minutes');
    expect(mail.html).toContain('href="https://app.example.com/account?x=1&amp;y=2#reset_token=abc"');
    expect(firstLink(mail.text)).toBe(LINK);
  });

  it('escapes markup a value carries, so nothing from outside the template becomes HTML', () => {
    const mail = renderMail({ subject: 'Hi', text: '{{link}}', html: '<a href="{{link}}">x</a>' }, 'ann@example.com', { link: 'https://x.example/"><script>alert(1)</script>' });

    expect(mail.html).toBe('<a href="https://x.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">x</a>');
  });

  it('refuses a template whose placeholder has no value, instead of mailing "{{link}}"', () => {
    expect(() => renderMail(MAIL_TEMPLATES.emailVerification, 'ann@example.com', { link: LINK })).toThrow('{{hours}}');
  });
});

describe('toEml', () => {
  it('writes a multipart/alternative message with both bodies, non-ASCII headers encoded', () => {
    const eml = toEml({ to: 'ann@example.com', subject: 'Réinitialiser', text: 'texte é', html: '<p>é</p>' }, 'no-reply@example.com', new Date(Date.UTC(2026, 0, 2)));
    const [head] = eml.split('\r\n\r\n');

    expect(head).toContain('From: no-reply@example.com');
    expect(head).toContain('To: ann@example.com');
    expect(head).toContain(`Subject: =?UTF-8?B?${Buffer.from('Réinitialiser').toString('base64')}?=`);
    expect(head).toContain('Date: Fri, 02 Jan 2026 00:00:00 GMT');
    expect(head).toMatch(/Content-Type: multipart\/alternative; boundary="wristband-[0-9a-f-]+"/);
    expect(eml).toContain(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from('texte é').toString('base64')}\r\n`);
    expect(eml).toContain(`Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from('<p>é</p>').toString('base64')}\r\n`);
  });
});
