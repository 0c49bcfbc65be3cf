/** Party routes: thin handlers over PartyService; schemas do the validating. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../app.js';
import {
  InitBody, InitReply, JoinBody, JoinCodeParams, JoinReply, PartiesQuery, PartyIdParams, PartyListing,
} from './schemas.js';

const err = (description: string) => ({ $ref: 'Error#', description });
const stateRef = { $ref: 'PartyState#' };

export const partyRoutes = (ctx: AppContext) => async (fastify: FastifyInstance) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/api/party/init', {
    schema: {
      tags: ['parties'],
      summary: 'Create a party; the caller is its host and first player',
      body: InitBody,
      response: { 201: InitReply, 422: err('validation_error or not_enough_questions') },
    },
  }, async (req, reply) => {
    const b = req.body;
    const created = await ctx.parties.create(b.player_id, {
      category: b.category,
      rounds: b.rounds,
      // The validator fills the defaults in; `??` only satisfies the optional types.
      timeoutSeconds: b.timeout ?? 30,
      startMode: b.start_mode ?? 'auto',
      revealSeconds: b.reveal_seconds ?? 3,
      maxPlayers: b.max_players ?? 500,
      visibility: b.visibility ?? 'public',
    });
    ctx.metrics.partiesCreated.inc();
    return reply.status(201).send(created);
  });

  app.post('/api/party/:party_id/join', {
    schema: {
      tags: ['parties'],
      summary: 'Join a party (also mid-game, starting at 0)',
      params: PartyIdParams,
      body: JoinBody,
      response: {
        200: JoinReply,
        400: err('already_joined'),
        404: err('party_not_found: no such party, malformed id, or game over'),
        409: err('party_full'),
        422: err('validation_error'),
      },
    },
  }, async (req) => ctx.parties.join(req.params.party_id, req.body.user_id));

  app.get('/api/party/:party_id/question_data', {
    schema: {
      tags: ['parties'],
      summary: 'The party state: live, or final once finished',
      params: PartyIdParams,
      response: { 200: stateRef, 404: err('party_not_found') },
    },
  }, async (req) => ctx.parties.state(req.params.party_id));

  app.get('/api/party/code/:join_code', {
    schema: {
      tags: ['parties'],
      summary: 'Find a live party by its 6-digit join code',
      params: JoinCodeParams,
      response: { 200: Type.Object({ party_id: Type.String() }), 404: err('party_not_found') },
    },
  }, async (req) => ctx.parties.resolveCode(req.params.join_code));

  app.get('/api/parties', {
    schema: {
      tags: ['parties'],
      summary: 'Live public parties, newest first',
      querystring: PartiesQuery,
      response: { 200: PartyListing, 422: err('validation_error') },
    },
  }, async (req) => {
    const q = req.query;
    return ctx.parties.list({ status: q.status, category: q.category, limit: q.limit ? Number(q.limit) : 20 });
  });
};
