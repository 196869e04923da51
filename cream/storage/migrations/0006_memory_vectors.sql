-- Case memory as cream.memory writes it: the situation vector as a float32 BLOB (the index
-- loads it without parsing JSON), the regime and decision time it filters on, the config
-- version of the decision, and the optional rationale embedding with its model. `metadata`
-- says, among other things, whether the rationale was embedded and why not.

ALTER TABLE memory_cases ADD COLUMN regime TEXT;
ALTER TABLE memory_cases ADD COLUMN decided_at TEXT;
ALTER TABLE memory_cases ADD COLUMN config_version INTEGER;
ALTER TABLE memory_cases ADD COLUMN feature_version TEXT;
ALTER TABLE memory_cases ADD COLUMN vector BLOB;
ALTER TABLE memory_cases ADD COLUMN rationale_embedding BLOB;
ALTER TABLE memory_cases ADD COLUMN embedding_model TEXT;
ALTER TABLE memory_cases ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';

CREATE INDEX memory_cases_environment_regime ON memory_cases (environment, regime, decided_at);
CREATE INDEX memory_cases_environment_open ON memory_cases (environment, closed_at);
