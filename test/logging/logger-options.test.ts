// Logs never carry authorization or cookie headers, tokens, passwords or email addresses.
import t from 'tap'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { pino } from 'pino'
import { loggerOptions, scrubEmails } from '../../src/logging/logger-options.js'

function capture () {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  return { logger: pino(loggerOptions('info'), stream), text: () => lines.join('') }
}

t.test('a logged request with an Authorization header and a cookie shows neither', async (t) => {
  const { logger, text } = capture()
  const app = Fastify({ loggerInstance: logger })
  app.get('/x', async (request) => {
    // A route logging the whole request, headers included, is the mistake redaction must survive.
    request.log.info({ incoming: { method: request.method, headers: request.headers } }, 'handled')
    request.log.info({ req: request }, 'serialised request')
    return { ok: true }
  })
  await app.ready()
  t.teardown(() => app.close())
  const res = await app.inject({
    url: '/x',
    headers: { authorization: 'Bearer eyJ.SECRET-TOKEN.sig', cookie: 'atlaslens_session=COOKIE-VALUE' }
  })
  t.equal(res.statusCode, 200)
  const out = text()
  t.match(out, /handled/)
  t.match(out, /serialised request/)
  t.match(out, /\[redacted\]/)
  t.notMatch(out, /SECRET-TOKEN/)
  t.notMatch(out, /COOKIE-VALUE/)
})

t.test('passwords, tokens and emails are removed from objects and messages', async (t) => {
  const { logger, text } = capture()
  logger.info({ user: { password: 'pw-123456789', token: 'tok-abc' }, note: 'mail hanako.sato@example.co.jp now' }, 'sent to taro@example.com')
  const out = text()
  t.notMatch(out, /pw-123456789|tok-abc/)
  t.notMatch(out, /example\.co\.jp|taro@example\.com/)
  t.match(out, /\[email\]/)
})

t.test('scrubEmails leaves other values alone', async (t) => {
  t.same(scrubEmails({ a: 1, b: ['x', 'y@z.io'], c: null }), { a: 1, b: ['x', '[email]'], c: null })
  t.equal(scrubEmails('no at sign'), 'no at sign')
})
