/**
 * The web page for approvers and release managers: server-rendered HTML, plain forms, no
 * script (it works with scripts off; nothing to enhance yet). Projects → runs with their
 * verdicts → one run's full report (the report renderer's own HTML) → a diff between runs;
 * the sign-offs still pending and who must act, with approve forms for those holding the role;
 * waivers with approve/deny forms; the audit log for admins.
 *
 * Login: a form takes an API token and keeps it in an HttpOnly, SameSite=Strict cookie
 * (stateless: every replica checks it against the store, and revoking the token logs out).
 * Every form carries a CSRF token derived from the session token (sha256, so a page never
 * shows the token itself); the login form uses a double-submit cookie.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderHtml } from '../../report/html.js';
import { type Authenticator, allows, approverRoles, type Principal, sha256Hex } from '../auth.js';
import type { ModelVersion } from '../api/contract.js';
import { HttpProblem, unauthorized } from '../problems.js';
import type { RateLimiter } from '../rate-limit.js';
import { listModelVersions } from '../model-versions.js';
import * as service from '../service.js';

const SESSION = 'mlgate_session';
const LOGIN_CSRF = 'mlgate_login_csrf';

const esc = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const enc = encodeURIComponent;

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;--pending:#9a6700;--link:#0550ae}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,sans-serif;color:var(--fg)}
header{display:flex;gap:1em;align-items:center;padding:8px 16px;border-bottom:1px solid var(--line);background:var(--soft);flex-wrap:wrap}
header .who{margin-left:auto;color:var(--muted)}
main{max-width:1100px;margin:0 auto;padding:16px}
a{color:var(--link)}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
.PASS{color:var(--pass);font-weight:700}.BLOCKED{color:var(--fail);font-weight:700}
.pending{color:var(--pending)}.muted{color:var(--muted)}
form.inline{display:flex;gap:.5em;flex-wrap:wrap;align-items:end;margin:4px 0}
label{display:flex;flex-direction:column;font-size:.9em;gap:2px}
input,select,textarea,button{font:inherit;padding:4px 8px}
button{background:#1f883d;color:#fff;border:1px solid #1a7f37;border-radius:6px;cursor:pointer}
button.secondary{background:#fff;color:var(--fg);border-color:var(--line)}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #0969da;outline-offset:1px}
.error{border-left:4px solid var(--fail);background:#ffebe9;padding:8px 12px}
.notice{border-left:4px solid var(--pass);background:#dafbe1;padding:8px 12px}
code{font-size:.9em}
`;

function page(title: string, body: string, principal?: Principal, csrf?: string): string {
  const who = principal
    ? `<span class="who">${esc(principal.name)} · ${esc(principal.roles.join(', ') || 'no roles')}</span>
<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="${esc(csrf)}"><button class="secondary" type="submit">Log out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · mlgate</title><link rel="icon" href="data:,"><style>${CSS}</style></head>
<body><header><a href="/"><b>mlgate</b></a>${principal && allows(principal, 'admin') ? '<a href="/audit">Audit log</a>' : ''}${who}</header>
<main>${body}</main></body></html>`;
}

const csrfOf = (token: string) => sha256Hex(`mlgate-csrf:${token}`);

function cookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    // Another app's cookie on the same host may be anything: one that does not decode is skipped.
    try {
      out[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      // not ours to read
    }
  }
  return out;
}

function cookie(request: FastifyRequest, name: string, value: string, maxAge: number): string {
  // Secure when the page came over HTTPS (a proxy terminating TLS says so).
  const secure = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
  return `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

interface Deps {
  ctx: service.Service;
  auth: Authenticator;
  limiter: RateLimiter;
}

export async function registerWeb(app: FastifyInstance, { ctx, auth, limiter }: Deps): Promise<void> {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  /** The logged-in principal and the session's CSRF token, or a redirect to the login form. */
  async function session(
    request: FastifyRequest,
  ): Promise<{ principal: Principal; csrf: string } | undefined> {
    const token = cookies(request)[SESSION];
    if (!token) return undefined;
    try {
      const principal = await auth.fromToken(token, 'cookie');
      const wait = limiter.take(principal.key);
      if (wait > 0) throw new HttpProblem(429, 'rate-limited', 'Too many requests', `try again in ${wait} s`);
      return { principal, csrf: csrfOf(token) };
    } catch (error) {
      if (error instanceof HttpProblem && error.status === 401) return undefined;
      throw error;
    }
  }

  function htmlError(reply: FastifyReply, error: unknown, who?: { principal: Principal; csrf: string }) {
    const problem =
      error instanceof HttpProblem
        ? error
        : new HttpProblem(500, 'internal', 'Internal error', 'the server could not do this; it is logged');
    if (!(error instanceof HttpProblem)) reply.log.error(error);
    return reply
      .code(problem.status)
      .type('text/html; charset=utf-8')
      .send(
        page(
          problem.title,
          `<h1>${esc(problem.title)}</h1><p class="error" role="alert">${esc(problem.detail ?? '')}</p><p><a href="/">Back to projects</a></p>`,
          who?.principal,
          who?.csrf,
        ),
      );
  }

  /** A page for a logged-in user: GET renders, POST checks the CSRF token first. */
  function route(
    method: 'GET' | 'POST',
    url: string,
    render: (
      request: FastifyRequest,
      who: { principal: Principal; csrf: string },
    ) => Promise<string | { redirect: string }>,
  ) {
    app.route({
      method,
      url,
      handler: async (request, reply) => {
        let who: { principal: Principal; csrf: string } | undefined;
        try {
          who = await session(request);
          if (!who) {
            if (method === 'GET') return reply.redirect(`/login?next=${enc(request.url)}`, 303);
            throw unauthorized('log in again: the session ended');
          }
          if (method === 'POST') {
            const sent = (request.body as Record<string, string> | undefined)?.csrf;
            if (sent !== who.csrf)
              throw new HttpProblem(
                403,
                'csrf',
                'Form expired',
                'the form did not carry this session’s token: reload the page and try again',
              );
          }
          const result = await render(request, who);
          if (typeof result === 'object') return reply.redirect(result.redirect, 303);
          return reply.type('text/html; charset=utf-8').send(result);
        } catch (error) {
          return htmlError(reply, error, who);
        }
      },
    });
  }

  // Browsers ask for it on every page: an empty answer, not a 404 in their console.
  app.get('/favicon.ico', async (_request, reply) =>
    reply.code(204).header('cache-control', 'max-age=86400').send(),
  );

  app.get('/login', async (request, reply) => {
    const nonce = randomBytes(16).toString('hex');
    const next = safeNext((request.query as Record<string, string>).next);
    const failed = (request.query as Record<string, string>).failed !== undefined;
    reply.header('set-cookie', cookie(request, LOGIN_CSRF, nonce, 600));
    return reply.type('text/html; charset=utf-8').send(
      page(
        'Log in',
        `<h1>Log in</h1>${failed ? '<p class="error" role="alert">That token is unknown or revoked.</p>' : ''}
<p>Paste an API token (<code>mlgate server token create --name YOU --role approver:ROLE</code> makes one).</p>
<form method="post" action="/login">
<input type="hidden" name="csrf" value="${nonce}"><input type="hidden" name="next" value="${esc(next)}">
<label for="token">API token<input id="token" name="token" type="password" autocomplete="current-password" required size="50"></label>
<p><button type="submit">Log in</button></p></form>`,
      ),
    );
  });

  app.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string>;
    const nonce = cookies(request)[LOGIN_CSRF];
    if (!nonce || body.csrf !== nonce)
      return htmlError(
        reply,
        new HttpProblem(403, 'csrf', 'Form expired', 'reload the login page and try again'),
      );
    const wait = limiter.take(`ip:${request.ip}:login`);
    if (wait > 0)
      return htmlError(
        reply,
        new HttpProblem(429, 'rate-limited', 'Too many requests', `try again in ${wait} s`),
      );
    try {
      await auth.fromToken((body.token ?? '').trim(), 'cookie');
    } catch {
      return reply.redirect(`/login?failed&next=${enc(safeNext(body.next))}`, 303);
    }
    reply.header('set-cookie', [
      cookie(request, SESSION, body.token!.trim(), 12 * 3600),
      cookie(request, LOGIN_CSRF, '', 0),
    ]);
    return reply.redirect(safeNext(body.next), 303);
  });

  route('POST', '/logout', async () => ({ redirect: '/login' }));
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'POST' && request.url === '/logout' && reply.statusCode === 303)
      reply.header('set-cookie', cookie(request, SESSION, '', 0));
    return payload;
  });

  route('GET', '/', async (_request, { principal, csrf }) => {
    requireViewer(principal);
    const { projects } = await service.listProjects(ctx);
    const rows = projects
      .map(
        (p) =>
          `<tr><td><a href="/p/${enc(p.name)}">${esc(p.name)}</a></td><td>${p.latestRun ? `<a href="/p/${enc(p.name)}/runs/${p.latestRun.id}">#${p.latestRun.id}</a> <span class="${esc(p.latestRun.verdict)}">${esc(p.latestRun.verdict)}</span> ${esc(p.latestRun.profile ?? '')}` : '<span class="muted">no runs</span>'}</td><td>${esc(p.latestRun?.startedAt.slice(0, 16).replace('T', ' ') ?? '')}</td></tr>`,
      )
      .join('');
    return page(
      'Projects',
      `<h1>Projects</h1>${projects.length ? `<table><thead><tr><th scope="col">project</th><th scope="col">latest run</th><th scope="col">started (UTC)</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No projects yet: a CI job creates one with its first upload.</p>'}`,
      principal,
      csrf,
    );
  });

  route('GET', '/p/:project', async (request, { principal, csrf }) => {
    requireViewer(principal);
    const name = (request.params as { project: string }).project;
    const { runs } = await service.listProjectRuns(ctx, name, { limit: 50 });
    const { pending, runId } = await service.pendingSignoffs(ctx, name, { run: 'latest' });
    const { waivers } = await service.listWaivers(ctx, name);
    const { modelVersions } = await listModelVersions(ctx, name, {});
    const mine = new Set(approverRoles(principal));
    const base = `/p/${enc(name)}`;
    const pendingRows = pending
      .map((item) => {
        const canSign = item.approvable ? item.mustAct.filter((role) => mine.has(role)) : [];
        const form = canSign.length
          ? `<form method="post" action="${base}/approve" class="inline" aria-label="Approve ${esc(item.itemId)}">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="runId" value="${item.runId}"><input type="hidden" name="itemId" value="${esc(item.itemId)}">
<label for="role-${esc(item.itemId)}">Role<select id="role-${esc(item.itemId)}" name="role">${canSign.map((role) => `<option>${esc(role)}</option>`).join('')}</select></label>
<label for="comment-${esc(item.itemId)}">Comment${item.requirement?.comment_required ? ' (required)' : ''}<input id="comment-${esc(item.itemId)}" name="comment" ${item.requirement?.comment_required ? 'required' : ''}></label>
${item.requirement?.evidence_required ? `<label for="evidence-${esc(item.itemId)}">Evidence (URL, required)<input id="evidence-${esc(item.itemId)}" name="evidence" required></label>` : ''}
<button type="submit">Approve ${esc(item.itemId)}</button></form>`
          : item.approvable
            ? '<span class="muted">you hold none of these roles</span>'
            : '<span class="muted">uploaded without its requirements: approve with the CLI</span>';
        return `<tr><td><b>${esc(item.itemId)}</b><br>${esc(item.title)}</td><td class="pending">${esc(item.mustAct.join(', ') || 'an approver')}</td><td>${esc(item.summary)}</td><td>${form}</td></tr>`;
      })
      .join('');
    const canDecide = approverRoles(principal).length > 0;
    const waiverRows = waivers
      .map((w) => {
        const decide =
          w.state === 'requested' && canDecide && w.requestedBy !== principal.name
            ? `<form method="post" action="${base}/waivers/${w.id}/decide" class="inline" aria-label="Decide waiver ${w.id}">
<input type="hidden" name="csrf" value="${csrf}"><label for="wc-${w.id}">Comment<input id="wc-${w.id}" name="comment"></label>
<button type="submit" name="decision" value="approve">Approve waiver</button><button class="secondary" type="submit" name="decision" value="deny">Deny</button></form>`
            : w.state === 'requested' && w.requestedBy === principal.name
              ? '<span class="muted">you requested it: someone else decides</span>'
              : '';
        return `<tr><td>#${w.id}</td><td>${esc(w.itemId)}</td><td>${esc(w.state)}${w.decidedBy ? ` by ${esc(w.decidedBy)}` : ''}${w.revokedBy ? `, revoked by ${esc(w.revokedBy)}` : ''}</td><td>${esc(w.reason)}</td><td>${esc(w.requestedBy)}</td><td>${esc(w.expires.slice(0, 10))}</td><td>${decide}</td></tr>`;
      })
      .join('');
    const runRows = runs
      .map(
        (run) =>
          `<tr><td><a href="${base}/runs/${run.id}">#${run.id}</a></td><td>${esc(run.startedAt.slice(0, 16).replace('T', ' '))}</td><td>${esc(run.profile ?? '')}</td><td class="${esc(run.verdict)}">${esc(run.verdict)}</td><td>${run.counts.pass ?? 0}/${run.counts.total ?? 0}</td><td>${esc(run.tags.join(', '))}</td><td>${esc(run.uploadedBy ?? '')}</td>${run.problems.length ? `<td class="error">does not match its report</td>` : '<td></td>'}</tr>`,
      )
      .join('');
    const options = runs
      .map((run) => `<option value="${run.id}">#${run.id} ${esc(run.verdict)}</option>`)
      .join('');
    const failing =
      runId !== null && allows(principal, 'waiver-request')
        ? (await service.getRun(ctx, name, String(runId))).report.items.filter(
            (i) => (i.status === 'fail' || i.status === 'error') && i.kind !== 'manual',
          )
        : [];
    const requestForm = failing.length
      ? `<h3>Request a waiver</h3><form method="post" action="${base}/waivers" class="inline" aria-label="Request a waiver">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="runId" value="${runId}">
<label for="w-item">Item<select id="w-item" name="itemId">${failing.map((i) => `<option>${esc(i.id)}</option>`).join('')}</select></label>
<label for="w-reason">Reason<input id="w-reason" name="reason" required></label>
<label for="w-expires">Expires (date)<input id="w-expires" name="expires" type="date" required></label>
<button type="submit">Request waiver</button></form>`
      : '';
    return page(
      name,
      `<h1>${esc(name)}</h1>
<h2 id="pending">Pending sign-offs${runId !== null ? ` in run #${runId}` : ''}</h2>
${pending.length ? `<table><thead><tr><th scope="col">item</th><th scope="col">who must act</th><th scope="col">state</th><th scope="col">action</th></tr></thead><tbody>${pendingRows}</tbody></table>` : '<p class="notice" id="nothing-pending">Nothing is waiting for a sign-off.</p>'}
${modelVersionsSection(modelVersions, base)}
<h2>Runs</h2>
${runs.length > 1 ? `<form method="get" action="${base}/diff" class="inline" aria-label="Compare runs"><label for="from">From<select id="from" name="from">${options.replace(`value="${runs[1]!.id}"`, `value="${runs[1]!.id}" selected`)}</select></label><label for="to">To<select id="to" name="to">${options}</select></label><button type="submit" class="secondary">Compare</button></form>` : ''}
<table><thead><tr><th scope="col">run</th><th scope="col">started (UTC)</th><th scope="col">profile</th><th scope="col">verdict</th><th scope="col">passed</th><th scope="col">tags</th><th scope="col">uploaded by</th><th scope="col">notes</th></tr></thead><tbody>${runRows}</tbody></table>
<h2>Waivers</h2>
${waivers.length ? `<table><thead><tr><th scope="col">#</th><th scope="col">item</th><th scope="col">state</th><th scope="col">reason</th><th scope="col">requested by</th><th scope="col">expires</th><th scope="col">action</th></tr></thead><tbody>${waiverRows}</tbody></table>` : '<p class="muted">No waivers.</p>'}
${requestForm}`,
      principal,
      csrf,
    );
  });

  route('GET', '/p/:project/runs/:run', async (request, { principal }) => {
    requireViewer(principal);
    const { project, run } = request.params as { project: string; run: string };
    const { report } = await service.getRun(ctx, project, run);
    return withBackLink(renderHtml(report), `/p/${enc(project)}`, project);
  });

  route('GET', '/p/:project/diff', async (request, { principal, csrf }) => {
    requireViewer(principal);
    const { project } = request.params as { project: string };
    const query = request.query as { from?: string; to?: string };
    const diff = await service.diff(ctx, project, { from: query.from ?? 'latest', to: query.to ?? 'latest' });
    const table = (head: string[], rows: string[][]) =>
      rows.length
        ? `<table><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
        : '<p class="muted">none</p>';
    return page(
      `${project}: #${diff.from.run} → #${diff.to.run}`,
      `<h1><a href="/p/${enc(project)}">${esc(project)}</a>: run #${diff.from.run} → #${diff.to.run}</h1>
<p>Verdict <span class="${esc(diff.from.verdict)}">${esc(diff.from.verdict)}</span> → <span class="${esc(diff.to.verdict)}">${esc(diff.to.verdict)}</span></p>
<h2>Artifacts that changed</h2>${table(
        ['artifact', 'from', 'to'],
        diff.artifacts.map((a) => [
          a.name,
          a.from?.slice(0, 12) ?? '(absent)',
          a.to?.slice(0, 12) ?? '(absent)',
        ]),
      )}
<h2>Statuses that changed</h2>${table(
        ['item', 'from', 'to'],
        diff.statuses.map((s) => [s.item, s.from ?? '(absent)', s.to ?? '(absent)']),
      )}
<h2>Measured values that changed</h2>${table(
        ['item', 'value', 'from', 'to', 'change'],
        diff.measured.map((m) => [
          m.item,
          m.key,
          String(m.from),
          String(m.to),
          m.relative === null ? String(m.change) : `${(m.relative * 100).toFixed(2)} %`,
        ]),
      )}`,
      principal,
      csrf,
    );
  });

  const form = (request: FastifyRequest) => (request.body ?? {}) as Record<string, string>;
  const formText = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

  route('POST', '/p/:project/approve', async (request, { principal }) => {
    const { project } = request.params as { project: string };
    const body = form(request);
    await service.approve(ctx, principal, project, {
      runId: Number(body.runId),
      itemId: body.itemId ?? '',
      role: body.role ?? '',
      comment: formText(body.comment),
      ...(formText(body.evidence) ? { evidence: { ref: formText(body.evidence)! } } : {}),
    });
    return { redirect: `/p/${enc(project)}#pending` };
  });

  route('POST', '/p/:project/waivers', async (request, { principal }) => {
    const { project } = request.params as { project: string };
    const body = form(request);
    const expires = /^\d{4}-\d{2}-\d{2}$/.test(body.expires ?? '')
      ? `${body.expires}T23:59:59.999Z`
      : (body.expires ?? '');
    if (Number.isNaN(Date.parse(expires)))
      throw new HttpProblem(400, 'invalid-request', 'The request is not valid', 'give the expiry as a date');
    await service.requestWaiver(ctx, principal, project, {
      itemId: body.itemId ?? '',
      runId: Number(body.runId),
      reason: body.reason ?? '',
      expires: new Date(expires).toISOString(),
    });
    return { redirect: `/p/${enc(project)}` };
  });

  route('POST', '/p/:project/waivers/:id/decide', async (request, { principal }) => {
    const { project, id } = request.params as { project: string; id: string };
    const body = form(request);
    const decision = body.decision === 'approve' ? 'approve' : body.decision === 'deny' ? 'deny' : undefined;
    if (!decision)
      throw new HttpProblem(400, 'invalid-request', 'The request is not valid', 'approve or deny');
    await service.decideWaiver(ctx, principal, project, Number(id), decision, {
      comment: formText(body.comment),
    });
    return { redirect: `/p/${enc(project)}` };
  });

  route('GET', '/audit', async (request, { principal, csrf }) => {
    if (!allows(principal, 'admin'))
      throw new HttpProblem(403, 'forbidden', 'Not allowed', 'the audit log is for admins');
    const after = Number((request.query as { after?: string }).after ?? 0) || 0;
    const { events, next } = await service.listAudit(ctx, { after, limit: 200 });
    const rows = events
      .map(
        (e) =>
          `<tr><td>${e.seq}</td><td>${esc(e.at.slice(0, 19).replace('T', ' '))}</td><td>${esc(e.actor)}</td><td>${esc(e.action)}</td><td>${esc(e.project ?? '')}</td><td>${esc(e.target)}</td><td><code>${esc(JSON.stringify(e.detail))}</code></td><td><code title="${esc(e.hash)}">${esc(e.hash.slice(0, 12))}</code></td></tr>`,
      )
      .join('');
    return page(
      'Audit log',
      `<h1>Audit log</h1><p>Every write, each event carrying the hash of the one before (<code>mlgate server audit verify</code> recomputes the chain).</p>
<table><thead><tr><th scope="col">#</th><th scope="col">at (UTC)</th><th scope="col">who</th><th scope="col">what</th><th scope="col">project</th><th scope="col">target</th><th scope="col">detail</th><th scope="col">hash</th></tr></thead><tbody>${rows}</tbody></table>
${next ? `<p><a href="/audit?after=${next}">Older events →</a></p>` : ''}`,
      principal,
      csrf,
    );
  });
}

/** Registry versions no run has gated yet (MLflow's webhook records them), then the latest gated ones. */
function modelVersionsSection(versions: ModelVersion[], base: string): string {
  if (versions.length === 0) return '';
  const pending = versions.filter((v) => v.state === 'pending');
  const gated = versions.filter((v) => v.state === 'gated').slice(0, 10);
  const label = (v: ModelVersion) => `${esc(v.name)} <b>v${esc(v.version)}</b>`;
  const pendingRows = pending
    .map(
      (v) =>
        `<tr><td>${label(v)}</td><td>${esc(v.registry)}</td><td><code>${esc(v.source ?? '')}</code></td><td>${esc(v.recordedAt.slice(0, 16).replace('T', ' '))}</td><td class="pending">no run yet: <code>mlgate check --mlflow-model ${esc(v.name)}/${esc(v.version)}</code></td></tr>`,
    )
    .join('');
  const gatedRows = gated
    .map(
      (v) =>
        `<tr><td>${label(v)}</td><td>${esc(v.registry)}</td><td><a href="${base}/runs/${v.gate!.runId}">#${v.gate!.runId}</a></td><td class="${esc(v.gate!.verdict)}">${esc(v.gate!.verdict)}${v.gate!.partial ? ' <span class="muted">(part of the spec only)</span>' : ''}</td><td>${esc(v.gate!.profile ?? '')}</td></tr>`,
    )
    .join('');
  return `<h2 id="model-versions">Model versions pending a gate</h2>
${pending.length ? `<table><thead><tr><th scope="col">model version</th><th scope="col">registry</th><th scope="col">source</th><th scope="col">recorded (UTC)</th><th scope="col">gate</th></tr></thead><tbody>${pendingRows}</tbody></table>` : '<p class="notice" id="no-model-version-pending">Every recorded model version has a gate run.</p>'}
${gated.length ? `<h3>Gated model versions</h3><table><thead><tr><th scope="col">model version</th><th scope="col">registry</th><th scope="col">latest run</th><th scope="col">verdict</th><th scope="col">profile</th></tr></thead><tbody>${gatedRows}</tbody></table>` : ''}`;
}

function requireViewer(principal: Principal): void {
  if (!allows(principal, 'viewer'))
    throw new HttpProblem(403, 'forbidden', 'Not allowed', `${principal.name} holds no role`);
}

/** Only a path on this site: never an open redirect. */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) && !next.startsWith('/login') ? next : '/';
}

/** The report renderer's page, with a way back to the project. */
function withBackLink(html: string, href: string, project: string): string {
  const link = `<nav style="padding:6px 12px;background:#f6f8fa;border-bottom:1px solid #d1d9e0"><a href="${esc(href)}">← ${esc(project)}</a></nav>`;
  return html.replace(/<body([^>]*)>/, (match) => `${match}${link}`);
}
