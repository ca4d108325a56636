-- Evidence that came after the hub's snapshot deadline is kept, marked late: a guard
-- still gets the picture, and the record says it missed the 2 s promise.
ALTER TABLE evidence ADD COLUMN late boolean NOT NULL DEFAULT false;

-- An episode that joined an incident which already had a snapshot from the same camera
-- a few seconds earlier shows that snapshot instead of a near-identical new one: the
-- episode links to the evidence another episode of the incident stored.
CREATE TABLE evidence_links (
  episode_id   bigint NOT NULL REFERENCES alarm_episodes (id),
  evidence_id  bigint NOT NULL REFERENCES evidence (id),
  linked_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (episode_id, evidence_id)
);
CREATE INDEX evidence_links_evidence_idx ON evidence_links (evidence_id);
