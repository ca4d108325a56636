import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentUser, withZod } from '../http/server.js';
import { decodeCsv } from './csv-reader.js';
import { recordsWriterRoles } from './records-access.js';
import { importKinds } from './records-import.schemas.js';
import type { RecordsModule } from './records.module.js';

/** Largest CSV file accepted (the JSON body limit is 1 MiB; an estate's owners fit in this). */
export const MAX_IMPORT_BYTES = 8 * 1024 * 1024;

export const importReportSchema = z.object({
  kind: z.enum(importKinds),
  dryRun: z.boolean(),
  rows: z.number().describe('data rows in the file'),
  accepted: z.number().describe('rows with no problem of their own'),
  imported: z.number().describe('rows written: all or none'),
  rejected: z.array(z.object({ row: z.number().describe('spreadsheet row; the header is 1'), field: z.string().describe('column, or "file"'), message: z.string() })),
});

/**
 * CSV imports. In their own scope, so the text/csv body parser (with its own size
 * limit) applies to these routes only; everything else keeps answering 415 to it.
 */
export function registerImportRoutes(app: FastifyInstance, records: RecordsModule): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES }, (_req, body, done) => {
      done(null, decodeCsv(body as Buffer));
    });
    const r = withZod(scope);
    r.post('/api/records/import/:kind', {
      config: { roles: recordsWriterRoles },
      schema: {
        tags: ['records'],
        summary:
          'Import units, owners or staff from a CSV file (Content-Type: text/csv, UTF-8 or GBK). Every row is checked; if any is rejected nothing is imported (422 with the report in error.details). dryRun=true checks only. Columns: see hub/src/records/records-import.schemas.ts',
        consumes: ['text/csv'],
        params: z.object({ kind: z.enum(importKinds) }),
        querystring: z.object({ dryRun: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1').default(false) }),
        body: z.string({ error: 'send the CSV file as the body with Content-Type: text/csv' }).min(1, 'the file is empty'),
        response: { 200: importReportSchema },
      },
      handler: async (req) => records.imports.run(currentUser(req), req.params.kind, req.body, req.query.dryRun, req.ip),
    });
  });
}
