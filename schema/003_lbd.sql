-- xlb schema version 3: lbd's panic threshold.
--
-- A checker's own trouble (its network, its host) must not empty a
-- service: when more than panic_threshold percent of a service's active
-- backends (weight > 0) are reported down at once, lbd ignores their
-- health and routes to all of them (drain and maint keep their meaning),
-- logs it and lists the service in service_panic until the share is back
-- at or below the threshold.  A service's own panic_threshold wins over
-- the node's; 100 (the node's default) never panics: a service whose
-- backends are all down keeps its last table and its VIP is not ready.

ALTER TABLE node ADD COLUMN panic_threshold INTEGER NOT NULL DEFAULT 100
  CHECK (panic_threshold BETWEEN 0 AND 100);
ALTER TABLE service ADD COLUMN panic_threshold INTEGER
  CHECK (panic_threshold IS NULL OR panic_threshold BETWEEN 0 AND 100);

-- The twins of 001 (service_check, node_check) keep their columns: the new
-- column is checked here, with a message naming the key, the field and the
-- value, as 001's checks do (the CHECK constraints are the backstop).
CREATE TRIGGER service_panic_validate_insert BEFORE INSERT ON service
BEGIN
  SELECT json_extract('{}', printf('service %s %s %s: panic_threshold "%s" is not 0..100 (percent)',
                             NEW.vip, NEW.proto, NEW.port, NEW.panic_threshold))
  WHERE NEW.panic_threshold IS NOT NULL
    AND (typeof(NEW.panic_threshold) != 'integer' OR NEW.panic_threshold NOT BETWEEN 0 AND 100);
END;

CREATE TRIGGER service_panic_validate_update BEFORE UPDATE OF panic_threshold ON service
BEGIN
  SELECT json_extract('{}', printf('service %s %s %s: panic_threshold "%s" is not 0..100 (percent)',
                             NEW.vip, NEW.proto, NEW.port, NEW.panic_threshold))
  WHERE NEW.panic_threshold IS NOT NULL
    AND (typeof(NEW.panic_threshold) != 'integer' OR NEW.panic_threshold NOT BETWEEN 0 AND 100);
END;

CREATE TRIGGER node_panic_validate_insert BEFORE INSERT ON node
BEGIN
  SELECT json_extract('{}', printf('node 1: panic_threshold "%s" is not 0..100 (percent)', NEW.panic_threshold))
  WHERE typeof(NEW.panic_threshold) != 'integer' OR NEW.panic_threshold NOT BETWEEN 0 AND 100;
END;

CREATE TRIGGER node_panic_validate_update BEFORE UPDATE OF panic_threshold ON node
BEGIN
  SELECT json_extract('{}', printf('node 1: panic_threshold "%s" is not 0..100 (percent)', NEW.panic_threshold))
  WHERE typeof(NEW.panic_threshold) != 'integer' OR NEW.panic_threshold NOT BETWEEN 0 AND 100;
END;

-- Runtime, written by lbd only: the services routing to all their active
-- backends because too many are down.  A row appears when a service
-- enters panic and goes when it leaves.
CREATE TABLE service_panic (
  vip           TEXT    NOT NULL,
  proto         TEXT    NOT NULL,
  port          INTEGER NOT NULL,
  backends      INTEGER NOT NULL, -- active backends with weight > 0
  down          INTEGER NOT NULL, -- of them reported down
  threshold     INTEGER NOT NULL, -- percent in force
  since         TEXT    NOT NULL,
  PRIMARY KEY (vip, proto, port)
) WITHOUT ROWID;
