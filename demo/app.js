// The wristband demo: every call goes through wristband/client (served beside this file by the local stack).
// The pair is kept in localStorage so that the tabs of this origin share one session; README, "The client",
// says what that costs. Everything the API returns is written with textContent, never as HTML.
import { createClient, decodeClaims, localStorageStorage, WristbandError } from './wristband-client.js';

const client = createClient({ baseUrl: location.origin, storage: localStorageStorage() });
const $ = (id) => document.getElementById(id);
let expiresAt = 0;
/** The open sign-in challenge (after a password that answered mfaRequired), and the mailed link's tokens. */
let challenge;
let resetToken;

/** A message that is not an error (a mail is on its way, a password is changed), focused so it is heard. */
function note(text) {
  $('notice').textContent = text;
  $('notice').hidden = false;
  $('notice').focus();
}

function say(element, error) {
  if (!error) {
    element.hidden = true;
    element.textContent = '';
    return;
  }
  // The contract's message names the first problem; the details add any others.
  const others = error instanceof WristbandError && error.details ? error.details.map((d) => `${d.field}: ${d.message}`).filter((d) => !error.message.includes(d)) : [];
  const details = others.length ? ` (${others.join('; ')})` : '';
  element.textContent = error instanceof WristbandError ? error.message + details : 'The API could not be reached. Is the local stack running?';
  element.hidden = false;
}

/** Runs an action; its error shown in the page's alert (focused, so keyboard and screen reader users hear it). */
async function attempt(action, where = $('error')) {
  say(where);
  try {
    await action();
  } catch (error) {
    say(where, error);
    where.focus?.();
    if (error instanceof WristbandError && error.status === 401) await render();
  }
}

function item(text, ...children) {
  const li = document.createElement('li');
  li.textContent = text;
  li.append(...children);
  return li;
}

async function showProfile() {
  const user = await client.profile();
  const rows = [['Email', user.email], ['Name', user.name ?? '–'], ['Role', user.role], ['Id', user.id], ['Since', user.createdAt]];
  $('profile').replaceChildren(...rows.flatMap(([term, value]) => [Object.assign(document.createElement('dt'), { textContent: term }), Object.assign(document.createElement('dd'), { textContent: value })]));
  $('status').textContent = `Signed in as ${user.email} (${user.role})`;
  return user;
}

async function showOrders() {
  const { orders } = await client.request('GET', '/api/orders');
  $('orders').replaceChildren(
    ...(orders.length ? orders.map((o) => item(`${o.items.map((i) => `${i.quantity} × ${i.sku}`).join(', ')} — ${new Date(o.createdAt).toLocaleString()}`)) : [item('No orders yet.')]),
  );
}

async function showSessions() {
  const sessions = await client.sessions();
  $('sessions').replaceChildren(
    ...sessions.map((s) => {
      const label = `${s.client ?? 'unknown client'}, signed in ${new Date(s.createdAt).toLocaleString()}`;
      const button = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Revoke' });
      button.setAttribute('aria-label', `Revoke session: ${label}`);
      button.addEventListener('click', () => attempt(async () => {
        await client.revokeSession(s.id);
        await showSessions();
      }));
      return item(label, button);
    }),
  );
}

async function showClaims() {
  const tokens = await client.tokens();
  if (!tokens) return;
  expiresAt = tokens.expiresAt;
  const claims = decodeClaims(tokens.accessToken);
  $('claims').textContent = JSON.stringify(claims, null, 2);
  $('mfa-state').textContent = claims.amr?.includes('otp') ? 'This session signed in with a password and a code.' : 'This session signed in with a password only.';
  tick();
}

function tick() {
  const left = Math.round((expiresAt - Date.now()) / 1000);
  $('countdown').textContent = left > 0 ? `${left} s` : 'now: expired, the next request refreshes it';
}

async function showAdmin(user) {
  const forced = location.hash === '#admin';
  $('admin').hidden = user.role !== 'admin' && !forced;
  if ($('admin').hidden) return;
  $('users').hidden = true;
  await attempt(async () => {
    const { users } = await client.request('GET', '/api/users');
    $('users').tBodies[0].replaceChildren(...users.map(userRow));
    $('users').hidden = false;
  }, $('admin-error'));
  if (forced) $('admin').scrollIntoView();
}

function userRow(user) {
  const row = document.createElement('tr');
  const cells = [user.email, user.name ?? '–'].map((text) => Object.assign(document.createElement('td'), { textContent: text }));
  const select = document.createElement('select');
  select.setAttribute('aria-label', `Role of ${user.email}`);
  for (const role of ['user', 'admin']) select.append(new Option(role, role, false, role === user.role));
  select.addEventListener('change', () => attempt(async () => {
    $('admin-status').textContent = '';
    const { user: changed } = await client.request('PUT', `/api/users/${encodeURIComponent(user.id)}/role`, { role: select.value });
    $('admin-status').textContent = `${changed.email} is now ${changed.role === 'admin' ? 'an admin' : 'a user'}.`;
  }, $('admin-error')));
  const roleCell = document.createElement('td');
  roleCell.append(select);
  row.append(...cells, roleCell);
  return row;
}

async function render() {
  const tokens = await client.tokens().catch(() => null);
  $('signed-in').hidden = !tokens;
  $('signed-out').hidden = !!tokens;
  $('logout').hidden = !tokens;
  if (tokens) $('mfa-login').hidden = true;
  if (!tokens) {
    $('status').textContent = 'Signed out';
    return;
  }
  await attempt(async () => {
    const user = await showProfile();
    await Promise.all([showClaims(), showOrders(), showSessions(), showAdmin(user)]);
  });
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $('notice').hidden = true;
  void attempt(async () => {
    const answer = await client.login(form.get('email'), form.get('password')); // a pair renders through onChange
    event.target.reset();
    if (answer.mfaRequired) {
      challenge = answer.challenge;
      $('mfa-login').hidden = false;
      $('mfa-login-code').focus();
    }
  });
});

/** Six digits are an authenticator code; anything else is taken for a recovery code. */
const factor = (value) => (/^\d{6}$/.test(value.trim()) ? { code: value.trim() } : { recoveryCode: value.trim() });

$('mfa-login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  void attempt(async () => {
    await client.completeMfa(challenge, factor(form.get('code'))); // renders through onChange
    challenge = undefined;
    event.target.reset();
  });
});

$('mfa-login-cancel').addEventListener('click', () => {
  challenge = undefined;
  $('mfa-login-form').reset();
  $('mfa-login').hidden = true;
  $('login-email').focus();
});

$('forgot-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  void attempt(async () => {
    note((await client.forgotPassword(form.get('email'))).message);
    event.target.reset();
    if ($('mailbox').open) await showMailbox();
  });
});

/** The mailed link's token leaves the address bar once used, so it is not left in the history or a bookmark. */
const clearFragment = () => history.replaceState(null, '', location.pathname + location.search);

$('reset-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  void attempt(async () => {
    try {
      await client.resetPassword(resetToken, form.get('newPassword'));
    } finally {
      clearFragment();
    }
    resetToken = undefined;
    event.target.reset();
    $('reset').hidden = true;
    note('Your password is changed, and every session of the account is signed out. Log in with the new password.');
  });
});

const SVG = 'http://www.w3.org/2000/svg';

/**
 * The otpauth URI as a QR code, drawn as SVG from the module matrix of qrcode-generator (served beside this
 * file): elements and attributes only, no markup string. Without the encoder the text secret and link remain.
 */
async function drawQr(text) {
  $('mfa-qr').hidden = true;
  const { default: qrcode } = await import('./qrcode.js');
  const qr = qrcode(0, 'M');
  // Byte mode takes the low 8 bits of each character: hand it the URI's UTF-8 bytes, one per character.
  qr.addData(String.fromCharCode(...new TextEncoder().encode(text)));
  qr.make();
  const quiet = 4; // the white margin scanners need, in modules
  const size = qr.getModuleCount() + 2 * quiet;
  let path = '';
  for (let row = 0; row < qr.getModuleCount(); row++) {
    for (let col = 0; col < qr.getModuleCount(); col++) if (qr.isDark(row, col)) path += `M${col + quiet} ${row + quiet}h1v1h-1z`;
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'QR code of the otpauth URI');
  const background = document.createElementNS(SVG, 'rect');
  for (const [name, value] of [['width', size], ['height', size], ['fill', '#fff']]) background.setAttribute(name, value);
  const modules = document.createElementNS(SVG, 'path');
  modules.setAttribute('d', path);
  modules.setAttribute('fill', '#000');
  svg.append(background, modules);
  $('mfa-qr-code').replaceChildren(svg);
  $('mfa-qr').hidden = false;
}

$('mfa-enrol').addEventListener('click', () => attempt(async () => {
  const { secret, otpauthUri } = await client.enrolTotp();
  $('mfa-secret').textContent = secret;
  Object.assign($('mfa-uri'), { href: otpauthUri, textContent: otpauthUri });
  await drawQr(otpauthUri).catch(() => undefined);
  $('mfa-recovery').hidden = true;
  $('mfa-setup').hidden = false;
  $('mfa-confirm-code').focus();
}));

$('mfa-confirm-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  void attempt(async () => {
    const codes = await client.confirmTotp(form.get('code'));
    event.target.reset();
    $('mfa-setup').hidden = true;
    $('recovery-codes').replaceChildren(...codes.map((code) => item(code)));
    $('mfa-recovery').hidden = false;
    note('Two-factor sign-in is on: the next login asks for a code.');
  });
});

$('mfa-disable-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  void attempt(async () => {
    await client.disableTotp(form.get('password'), factor(form.get('code')));
    event.target.reset();
    $('mfa-recovery').hidden = true;
    note('Two-factor sign-in is off.');
  });
});

/**
 * The local stack's mailbox (GET /_local/outbox): its mails with their links, which open this page's
 * reset and verification flows. Anything but a 200 (a deployed API has no such route) keeps the panel hidden.
 */
async function showMailbox() {
  const response = await fetch('/_local/outbox', { cache: 'no-store' }).catch(() => undefined);
  const mails = response?.ok ? (await response.json().catch(() => ({}))).mails : undefined;
  $('mailbox').hidden = !Array.isArray(mails);
  if (!Array.isArray(mails)) return;
  $('mailbox-empty').hidden = mails.length > 0;
  $('mails').replaceChildren(
    ...mails.map((mail) => {
      const li = item(`${mail.subject} — to ${mail.to}, ${new Date(mail.date).toLocaleString()}`);
      const linkList = document.createElement('ul');
      linkList.append(...mail.links.map((link) => item('', Object.assign(document.createElement('a'), { href: link, textContent: link }))));
      const body = document.createElement('details');
      body.append(Object.assign(document.createElement('summary'), { textContent: 'Text of the mail' }), Object.assign(document.createElement('pre'), { textContent: mail.text }));
      li.append(linkList, body);
      return li;
    }),
  );
}

$('mailbox').addEventListener('toggle', () => {
  if ($('mailbox').open) void showMailbox();
});
$('mailbox-refresh').addEventListener('click', () => void showMailbox());

/** A mailed link: `#reset_token=` opens the new-password form; `#verify_token=` is sent at once (a POST, never a GET). */
function readLink() {
  const link = new URLSearchParams(location.hash.slice(1));
  resetToken = link.get('reset_token') ?? resetToken;
  $('reset').hidden = !resetToken;
  if (resetToken) $('reset-password').focus();
  const verifyToken = link.get('verify_token');
  if (verifyToken) {
    void attempt(async () => {
      try {
        await client.verifyEmail(verifyToken);
      } finally {
        clearFragment();
      }
      note('Your email address is verified.');
    });
  }
}

$('register-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const name = form.get('name') || undefined;
  void attempt(async () => {
    await client.register(form.get('email'), form.get('password'), name);
    event.target.reset();
    if ($('mailbox').open) await showMailbox();
    await client.login(form.get('email'), form.get('password')); // renders through onChange
  });
});

$('order-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  void attempt(async () => {
    await client.request('POST', '/api/orders', { items: [{ sku: form.get('sku'), quantity: Number(form.get('quantity')) }] });
    event.target.reset();
    await showOrders();
  });
});

$('reload').addEventListener('click', () => attempt(async () => {
  await showProfile();
  await showOrders();
}));
$('revoke-all').addEventListener('click', () => attempt(async () => {
  await client.revokeAllSessions();
}));
$('logout').addEventListener('click', () => attempt(async () => {
  await client.logout();
}));
window.addEventListener('hashchange', () => {
  readLink();
  void render();
});

// This tab's changes and other tabs' (BroadcastChannel): a logout anywhere signs this page out.
client.onChange((event) => void (event === 'refreshed' ? showClaims() : render()));
setInterval(tick, 1000);
readLink();
void render();
void showMailbox();
