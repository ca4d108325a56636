import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { staffRoles, type Role } from '../auth/roles.js';
import { currentUser, withZod } from '../http/server.js';
import type { AlarmRequestService } from './alarm-requests.js';
import { findingTypes, planManagerRoles, planStatuses, type ImprovementPlanService, type PlanNoteRow, type PlanRow } from './improvement-plans.service.js';
import { parsePeriod, qualityPeriodSchema, type QualityPeriod } from './quality-period.js';
import type { QualityService, ReviewRow } from './quality.service.js';
import type { SatisfactionReportService } from './satisfaction-report.js';
import { serviceDeskRoles } from './service-request.service.js';
import { campaignStatus, surveyDimensions, type CampaignResults, type CampaignRow, type SurveyService } from './surveys.service.js';

export interface QualityServices {
  surveys: SurveyService;
  quality: QualityService;
  plans: ImprovementPlanService;
  report: SatisfactionReportService;
  alarmRequests: AlarmRequestService;
}

/** Who runs campaigns, reviews staff and configures alarm requests. */
const managerRoles: readonly Role[] = ['admin', 'manager'];

const iso = (d: Date | null) => d?.toISOString() ?? null;
const text = (max: number) => z.string().trim().min(1).max(max);
const idParams = z.object({ id: z.coerce.number().int().positive() });
const isoDate = z.iso.date('expected a date as YYYY-MM-DD');
const periodQuery = z.object({ period: qualityPeriodSchema.describe("a month 'YYYY-MM' or a quarter 'YYYY-Qn'"), building: text(64).optional() });

const periodSchema = z.object({ label: z.string(), from: z.string(), to: z.string() });
const toPeriod = (p: QualityPeriod) => ({ label: p.label, from: p.from.toISOString(), to: p.to.toISOString() });

// ------------------------------------------------------------ campaigns
const campaignSchema = z.object({
  id: z.number(),
  title: z.string(),
  period: z.string(),
  buildingId: z.string().nullable(),
  dimensions: z.array(z.string()),
  opensAt: z.string(),
  closesAt: z.string(),
  status: z.enum(['scheduled', 'open', 'closed']),
  invited: z.number(),
  answered: z.number(),
  createdBy: z.string(),
  createdAt: z.string(),
});
const toCampaign = (c: CampaignRow) => ({
  id: c.id,
  title: c.title,
  period: c.period,
  buildingId: c.building_id,
  dimensions: c.dimensions,
  opensAt: c.opens_at.toISOString(),
  closesAt: c.closes_at.toISOString(),
  status: campaignStatus(c, new Date()),
  invited: c.invited,
  answered: c.answered,
  createdBy: c.created_by,
  createdAt: c.created_at.toISOString(),
});
const dimensionScores = z.array(z.object({ dimension: z.string(), count: z.number(), average: z.number().nullable() }));
const resultsSchema = z.object({
  campaign: campaignSchema,
  invited: z.number(),
  answered: z.number(),
  responseRate: z.number().nullable(),
  byDimension: dimensionScores,
  byBuilding: z.array(z.object({ buildingId: z.string(), invited: z.number(), answered: z.number(), responseRate: z.number().nullable(), byDimension: dimensionScores })),
  comments: z.array(z.object({ buildingId: z.string(), comment: z.string(), answeredAt: z.string() })),
});
const toResults = (r: CampaignResults) => ({ ...r, campaign: toCampaign(r.campaign), comments: r.comments.map((c) => ({ ...c, answeredAt: c.answeredAt.toISOString() })) });

// ------------------------------------------------------------ evaluations
const reviewSchema = z.object({ id: z.number(), staffId: z.number(), period: z.string(), rating: z.number().nullable(), comment: z.string(), reviewer: z.string(), at: z.string() });
const toReview = (r: ReviewRow) => ({ id: r.id, staffId: r.staff_id, period: r.period, rating: r.rating, comment: r.comment, reviewer: r.reviewer, at: r.at.toISOString() });
const evaluationSchema = z.object({
  staffId: z.number(),
  name: z.string(),
  position: z.string().nullable(),
  trades: z.array(z.string()),
  surveys: z.object({ count: z.number(), average: z.number().nullable() }),
  workOrders: z.object({ resolved: z.number(), slaKept: z.number(), slaKeptRatio: z.number().nullable() }),
  resolutions: z.object({ count: z.number(), reopened: z.number(), reopenRate: z.number().nullable() }),
  score: z.number().nullable().describe('100 × (0.5·S + 0.3·K + 0.2·(1 − R)) over the measured parts, see quality.service.ts'),
  reviews: z.array(reviewSchema),
});

// ------------------------------------------------------------ improvement plans
const planSchema = z.object({
  id: z.number(),
  title: z.string(),
  finding: z.object({ type: z.enum(findingTypes), key: z.string(), period: z.string().nullable(), count: z.number().nullable(), average: z.number().nullable() }),
  buildingId: z.string().nullable(),
  owner: z.object({ userId: z.number(), name: z.string() }),
  actions: z.array(z.string()),
  dueDate: z.string(),
  status: z.enum(planStatuses),
  overdue: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  doneAt: z.string().nullable(),
});
const toPlan = (p: PlanRow) => ({
  id: p.id,
  title: p.title,
  finding: { type: p.finding_type, key: p.finding_key, period: p.finding_period, count: p.finding_count, average: p.finding_average === null ? null : Number(p.finding_average) },
  buildingId: p.building_id,
  owner: { userId: p.owner_user_id, name: p.owner_name },
  actions: p.actions,
  dueDate: p.due_date,
  status: p.status,
  overdue: p.overdue,
  createdBy: p.created_by,
  createdAt: p.created_at.toISOString(),
  updatedAt: p.updated_at.toISOString(),
  doneAt: iso(p.done_at),
});
const noteSchema = z.object({ id: z.number(), at: z.string(), actor: z.string(), fromStatus: z.string().nullable(), toStatus: z.string().nullable(), note: z.string() });
const toNote = (n: PlanNoteRow) => ({ id: n.id, at: n.at.toISOString(), actor: n.actor, fromStatus: n.from_status, toStatus: n.to_status, note: n.note });

// ------------------------------------------------------------ report
const trendSchema = z.object({
  key: z.string(),
  name: z.string().optional(),
  count: z.number(),
  average: z.number().nullable(),
  previousCount: z.number(),
  previousAverage: z.number().nullable(),
  delta: z.number().nullable(),
});

/** Periodic surveys, staff evaluation, improvement plans, the satisfaction report, requests from alarms. */
export function registerQualityRoutes(app: FastifyInstance, s: QualityServices): void {
  const r = withZod(app);

  r.post('/api/service/campaigns', {
    config: { roles: managerRoles },
    schema: {
      tags: ['service quality'],
      summary: 'A periodic satisfaction survey of the owners of a building (or the estate): invitations are recorded at once',
      body: z.strictObject({
        title: text(200),
        period: qualityPeriodSchema,
        buildingId: text(64).optional().describe('default: the whole estate'),
        dimensions: z.array(z.enum(surveyDimensions)).min(1).max(surveyDimensions.length).refine((d) => new Set(d).size === d.length, 'each dimension once').optional(),
        closesAt: z.iso.datetime({ offset: true }).optional().describe('default: 14 days from now'),
      }),
      response: { 201: z.object({ campaign: campaignSchema }) },
    },
    handler: async (req, reply) => {
      const { closesAt, ...rest } = req.body;
      const campaign = await s.surveys.create(currentUser(req), { ...rest, closesAt: closesAt === undefined ? undefined : new Date(closesAt) });
      return reply.code(201).send({ campaign: toCampaign(campaign) });
    },
  });

  r.get('/api/service/campaigns', {
    config: { roles: serviceDeskRoles },
    schema: { tags: ['service quality'], summary: 'Survey campaigns with invitations and answers', querystring: z.object({ period: qualityPeriodSchema.optional() }), response: { 200: z.object({ campaigns: z.array(campaignSchema) }) } },
    handler: async (req) => ({ campaigns: (await s.surveys.list(currentUser(req), req.query)).map(toCampaign) }),
  });

  r.get('/api/service/campaigns/:id/results', {
    config: { roles: serviceDeskRoles },
    schema: { tags: ['service quality'], summary: 'A campaign analysed: response rate, averages by dimension, by building, comments', params: idParams, response: { 200: resultsSchema } },
    handler: async (req) => toResults(await s.surveys.results(currentUser(req), req.params.id)),
  });

  r.get('/api/service/my-campaigns', {
    config: { roles: ['owner'] },
    schema: {
      tags: ['service quality'],
      summary: "The owner's open surveys and whether they answered",
      response: { 200: z.object({ campaigns: z.array(campaignSchema.extend({ answeredAt: z.string().nullable() })) }) },
    },
    handler: async (req) => ({ campaigns: (await s.surveys.mine(currentUser(req))).map((c) => ({ ...toCampaign(c), answeredAt: iso(c.answered_at) })) }),
  });

  r.post('/api/service/campaigns/:id/answer', {
    config: { roles: ['owner'] },
    schema: {
      tags: ['service quality'],
      summary: 'The owner answers an open survey once: a score 1–5 for every dimension it asks, and a comment',
      params: idParams,
      body: z.strictObject({ scores: z.partialRecord(z.enum(surveyDimensions), z.number().int().min(1).max(5)), comment: text(2000).optional() }),
      response: { 201: z.object({ answeredAt: z.string() }) },
    },
    handler: async (req, reply) => {
      const { answeredAt } = await s.surveys.answer(currentUser(req), req.params.id, req.body);
      return reply.code(201).send({ answeredAt: answeredAt.toISOString() });
    },
  });

  // ------------------------------------------------------------ staff evaluation
  r.get('/api/service/staff-evaluations', {
    config: { roles: managerRoles },
    schema: {
      tags: ['service quality'],
      summary: 'Service-quality evaluation of active staff over a month or quarter: surveys, SLA kept, reopen rate, score, written reviews',
      querystring: periodQuery.extend({ staffId: z.coerce.number().int().positive().optional() }),
      response: { 200: z.object({ period: periodSchema, staff: z.array(evaluationSchema) }) },
    },
    handler: async (req) => {
      const period = parsePeriod(req.query.period);
      const staff = await s.quality.evaluate(currentUser(req), period, { building: req.query.building, staffId: req.query.staffId });
      return { period: toPeriod(period), staff: staff.map((e) => ({ ...e, reviews: e.reviews.map(toReview) })) };
    },
  });

  r.post('/api/service/staff-evaluations/:id/reviews', {
    config: { roles: managerRoles },
    schema: {
      tags: ['service quality'],
      summary: "A manager's written evaluation of a member of staff (id) for a period, with an optional 1–5 rating; audited",
      params: idParams,
      body: z.strictObject({ period: qualityPeriodSchema, rating: z.number().int().min(1).max(5).optional(), comment: text(4000) }),
      response: { 201: z.object({ review: reviewSchema }) },
    },
    handler: async (req, reply) => reply.code(201).send({ review: toReview(await s.quality.addReview(currentUser(req), req.params.id, req.body)) }),
  });

  // ------------------------------------------------------------ improvement plans
  r.post('/api/service/improvement-plans', {
    config: { roles: planManagerRoles },
    schema: {
      tags: ['service quality'],
      summary: "An improvement plan from a low-scoring finding (category, building or staff id); with a period, the finding's satisfaction then is recorded",
      body: z.strictObject({
        title: text(200),
        finding: z.strictObject({ type: z.enum(findingTypes), key: text(64), period: qualityPeriodSchema.optional() }),
        ownerUserId: z.number().int().positive(),
        actions: z.array(text(500)).min(1).max(50),
        dueDate: isoDate,
        note: text(2000).optional(),
      }),
      response: { 201: z.object({ plan: planSchema }) },
    },
    handler: async (req, reply) => reply.code(201).send({ plan: toPlan(await s.plans.create(currentUser(req), req.body)) }),
  });

  r.get('/api/service/improvement-plans', {
    config: { roles: staffRoles },
    schema: {
      tags: ['service quality'],
      summary: 'Improvement plans by due date; overdue=true lists those past their due date and not done',
      querystring: z.object({
        status: z.preprocess((v) => (typeof v === 'string' ? v.split(',') : v), z.array(z.enum(planStatuses))).optional(),
        overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
        owner: z.literal('me').optional(),
      }),
      response: { 200: z.object({ plans: z.array(planSchema) }) },
    },
    handler: async (req) => ({ plans: (await s.plans.list(currentUser(req), req.query)).map(toPlan) }),
  });

  r.get('/api/service/improvement-plans/:id', {
    config: { roles: staffRoles },
    schema: { tags: ['service quality'], summary: 'One plan with its progress notes', params: idParams, response: { 200: z.object({ plan: planSchema, notes: z.array(noteSchema) }) } },
    handler: async (req) => {
      const { plan, notes } = await s.plans.get(currentUser(req), req.params.id);
      return { plan: toPlan(plan), notes: notes.map(toNote) };
    },
  });

  r.post('/api/service/improvement-plans/:id/progress', {
    config: { roles: staffRoles },
    schema: {
      tags: ['service quality'],
      summary: 'A progress note, optionally moving the status (open → in_progress → done; done → in_progress); by the owner or a manager',
      params: idParams,
      body: z.strictObject({ note: text(2000), status: z.enum(planStatuses).optional() }),
      response: { 201: z.object({ plan: planSchema, notes: z.array(noteSchema) }) },
    },
    handler: async (req, reply) => {
      const { plan, notes } = await s.plans.progress(currentUser(req), req.params.id, req.body);
      return reply.code(201).send({ plan: toPlan(plan), notes: notes.map(toNote) });
    },
  });

  // ------------------------------------------------------------ report
  const reportSchema = z.object({
    period: periodSchema,
    previousPeriod: periodSchema,
    building: z.string().nullable(),
    requests: z.object({ created: z.number(), closed: z.number(), rejected: z.number(), byChannel: z.array(z.object({ key: z.string(), count: z.number() })) }),
    overall: trendSchema,
    byCategory: z.array(trendSchema),
    byBuilding: z.array(trendSchema),
    byStaff: z.array(trendSchema),
    campaigns: z.array(resultsSchema),
    openImprovementPlans: z.array(planSchema),
  });

  r.get('/api/service/satisfaction-report', {
    config: { roles: serviceDeskRoles },
    schema: {
      tags: ['service quality'],
      summary: 'The periodic satisfaction report: requests, survey averages by category, building and staff with the trend against the previous period, campaigns, open improvement plans',
      querystring: periodQuery,
      response: { 200: reportSchema },
    },
    handler: async (req) => {
      const rep = await s.report.report(currentUser(req), parsePeriod(req.query.period), { building: req.query.building });
      return {
        ...rep,
        period: toPeriod(rep.period),
        previousPeriod: toPeriod(rep.previousPeriod),
        campaigns: rep.campaigns.map(toResults),
        openImprovementPlans: rep.openImprovementPlans.map(toPlan),
      };
    },
  });

  r.get('/api/service/satisfaction-report.csv', {
    config: { roles: serviceDeskRoles },
    schema: { tags: ['service quality'], summary: 'The same report as one CSV table', querystring: periodQuery, response: { 200: z.string().describe('text/csv') } },
    handler: async (req, reply) => {
      const { filename, body } = await s.report.csv(currentUser(req), parsePeriod(req.query.period), { building: req.query.building });
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(body);
    },
  });

  // ------------------------------------------------------------ requests from alarms
  r.put('/api/service/device-units/:id', {
    config: { roles: managerRoles },
    schema: {
      tags: ['service quality'],
      summary: "Place a device (id) in a unit of its building: its maintenance alarms then open service requests for that unit (null: no unit)",
      params: idParams,
      body: z.strictObject({ unitId: z.number().int().positive().nullable() }),
      response: { 200: z.object({ deviceId: z.number(), unitId: z.number().nullable() }) },
    },
    handler: async (req) => s.alarmRequests.setDeviceUnit(currentUser(req), req.params.id, req.body.unitId),
  });

  r.put('/api/service/alarm-request-rules/:id', {
    config: { roles: managerRoles },
    schema: {
      tags: ['service quality'],
      summary: 'Flag an alarm rule (id) so that each episode it raises also opens a service request (linked to its work order)',
      params: idParams,
      body: z.strictObject({ serviceRequest: z.boolean() }),
      response: { 200: z.object({ ruleId: z.number(), serviceRequest: z.boolean() }) },
    },
    handler: async (req) => s.alarmRequests.setRuleFlag(currentUser(req), req.params.id, req.body.serviceRequest),
  });
}
