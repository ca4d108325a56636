-- Notices and arrears, beyond 0013: the language an owner's notices are written in,
-- and what a rung of the escalation ladder was about when it was taken.

-- zh-CN unless the office records otherwise; billing notices are written in it.
ALTER TABLE owners ADD COLUMN language text NOT NULL DEFAULT 'zh-CN' CHECK (language IN ('zh-CN', 'en'));

-- A lawyer's letter states the debt as it stood when the rung was taken (owner, unit,
-- each bill's outstanding amount, total, deadline): kept here, so the PDF downloaded
-- later says exactly what was decided, whatever has been paid since.
ALTER TABLE arrears_actions ADD COLUMN details jsonb;
