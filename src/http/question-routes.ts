/** The question bank over HTTP: categories for everyone, imports behind ADMIN_TOKEN. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../app.js';
import { listCategories } from '../adapters/postgres/questions-repo.js';
import { digestMatches, hashToken } from '../live/tokens.js';
import { FormatError, parseCsvQuestions, parseJsonQuestions, parseOpenTdb, type ParsedQuestions } from '../questions/formats.js';
import { importParsed } from '../questions/importer.js';
import { HttpError } from './errors.js';
import { Categories, ImportReply, QuestionItem } from './schemas.js';

const err = (description: string) => ({ $ref: 'Error#', description });

export const questionRoutes = (ctx: AppContext) => async (fastify: FastifyInstance) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const adminDigest = ctx.config.adminToken ? hashToken(ctx.config.adminToken) : null;

  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.get('/api/categories', {
    schema: { tags: ['questions'], summary: 'Categories and how many questions each has', response: { 200: Categories } },
  }, async () => listCategories(ctx.adapters.db));

  // Checked before the body is read, so an unauthenticated client cannot make us parse 64 KiB.
  const requireAdmin = async (req: FastifyRequest) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/i.exec(header);
    if (!adminDigest) throw new HttpError(401, 'unauthorized', 'question import is disabled: set ADMIN_TOKEN');
    if (!m || !digestMatches(m[1]!, adminDigest)) throw new HttpError(401, 'unauthorized', 'Authorization: Bearer <ADMIN_TOKEN> required');
  };

  app.post('/api/questions', {
    onRequest: requireAdmin,
    schema: {
      tags: ['questions'],
      summary: 'Import questions: a JSON list of rows, an Open Trivia DB response, or CSV (text/csv)',
      security: [{ admin: [] }],
      body: Type.Union([
        Type.Array(QuestionItem, { description: 'rows with the fields of the questions table' }),
        Type.Object({ questions: Type.Array(QuestionItem) }),
        Type.Object({ results: Type.Array(Type.Unknown()) }, { description: 'Open Trivia DB API response' }),
        Type.String({ description: 'CSV: question,answer,choice1,choice2,choice3,category' }),
      ]),
      response: { 201: ImportReply, 401: err('unauthorized'), 422: err('validation_error: nothing valid to import') },
    },
    // Items are validated one by one below so a bad row is reported, not the whole request refused.
    validatorCompiler: () => () => true,
  }, async (req, reply) => {
    const body = req.body as unknown;
    let parsed: ParsedQuestions;
    try {
      if (typeof body === 'string') parsed = parseCsvQuestions(body);
      else if (typeof body === 'object' && body !== null && !Array.isArray(body) && Array.isArray((body as { results?: unknown }).results)) {
        parsed = parseOpenTdb(body as { results: unknown[] });
      } else parsed = parseJsonQuestions(body);
    } catch (e) {
      if (e instanceof FormatError) throw new HttpError(422, 'validation_error', e.message);
      throw e;
    }
    const report = await importParsed(ctx.adapters.db, parsed);
    const out = {
      inserted: report.inserted,
      skipped: report.skipped.map((s) => ({ where: s.where, reason: s.value })),
      invalid: report.invalid.map((s) => ({ where: s.where, reason: s.value })),
    };
    if (parsed.questions.length === 0) {
      const first = out.invalid[0];
      throw new HttpError(422, 'validation_error', first ? `no valid question; ${first.where}: ${first.reason}` : 'no questions in the body');
    }
    return reply.status(201).send(out);
  });
};
