import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../auth/roles.js';
import { invalidField } from '../records/records-errors.js';
import { currentUser, withZod } from '../http/server.js';
import { addMonths, periodSchema } from './period.js';
import { reportCsv, reportNames, reportPdf, type ReportService } from './reports.service.js';

/** The office's money roles (billingStaffRoles, repeated to keep billing.module.ts free of a cycle). */
const staff: readonly Role[] = ['admin', 'manager', 'clerk'];

const cell = z.union([z.string(), z.number(), z.null()]);
const reportSchema = z.object({
  report: z.enum(reportNames),
  title: z.object({ zh: z.string(), en: z.string() }),
  scope: z.record(z.string(), z.string().nullable()),
  columns: z.array(z.object({ key: z.string(), zh: z.string(), en: z.string(), kind: z.enum(['text', 'int', 'fen', 'decimal']) })),
  rows: z.array(z.record(z.string(), cell)),
});

const summaries: Record<(typeof reportNames)[number], string> = {
  collection: 'Collection rate by period and building: billed, late fees, collected against those bills, outstanding, rate',
  ageing: "Arrears ageing: each unit's arrears by age bucket as of asOf (default today)",
  income: "Income by fee item and period: billed per item; collected = each bill's payments split over its lines in proportion",
  utilities: "Utility use by period, building and kind from the period's meter readings (unit meters and shared areas apart)",
};

/**
 * A CSV or PDF body: fastify serialises only JSON (a string with a non-JSON type, or a
 * Buffer, goes out as it is), so the JSON response schema does not apply to it.
 */
const asIs = (body: string | Buffer) => body as never;

/** GET /api/billing/reports/{collection,ageing,income,utilities}?from=&to=&building=&asOf=&format=json|csv|pdf */
export function registerBillingReportRoutes(app: FastifyInstance, reports: ReportService): void {
  const r = withZod(app);
  for (const name of reportNames) {
    r.get(`/api/billing/reports/${name}`, {
      config: { roles: staff },
      schema: {
        tags: ['billing'],
        summary: `${summaries[name]}. format=csv: UTF-8 with BOM, header row; format=pdf: a bilingual table`,
        querystring: z.object({
          from: periodSchema.optional(),
          to: periodSchema.optional(),
          building: z.string().trim().min(1).max(100).optional(),
          asOf: z.iso.date().optional(),
          format: z.enum(['json', 'csv', 'pdf']).default('json'),
        }),
        response: { 200: reportSchema },
        produces: ['application/json', 'text/csv', 'application/pdf'],
      },
      handler: async (req, reply) => {
        const q = req.query;
        // Default: the twelve months up to this one.
        const to = q.to ?? new Date().toISOString().slice(0, 7);
        const from = q.from ?? addMonths(to, -11);
        if (from > to) throw invalidField('querystring.from', `must not be after to (${to})`);
        const report = await reports.report(currentUser(req), name, { from, to, buildingId: q.building, asOf: q.asOf });
        const file = `${name}-${report.scope.asOf ?? `${from}_${to}`}`;
        if (q.format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}.csv"`).send(asIs(reportCsv(report)));
        if (q.format === 'pdf') return reply.type('application/pdf').header('content-disposition', `inline; filename="${file}.pdf"`).send(asIs(await reportPdf(report)));
        return { report: report.name, title: report.title, scope: report.scope, columns: report.columns, rows: report.rows };
      },
    });
  }
}
