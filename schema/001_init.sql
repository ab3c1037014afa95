-- xlb desired state, schema version 1.
--
-- Identity is by address, never by id: a service is (vip, proto, port), a
-- backend row is (service, address, backend_port).  One row per
-- (service, backend): a backend shared by 2,000 services is 2,000 rows, and
-- changing its state is one indexed UPDATE (backend_by_address).
--
-- Every write is checked here, whichever client makes it (lbsh, a plain
-- `sqlite3 xlb.db < import.sql`, a script): BEFORE triggers reject bad rows
-- with a message naming the table, the key, the field and the value; the
-- CHECK constraints behind them are a backstop.  What SQL cannot tell
-- (an address's canonical spelling, a configuration that cannot be applied)
-- lbd checks at apply time and records in `reject`, leaving the previous
-- state in force.  Triggers append every change to `revision`, which lbd
-- applies in order.
--
-- A batch import starts with `.bail on`: without it the sqlite3 tool goes on
-- after a rejected statement, and the file's COMMIT keeps the others.
--
-- The migration runner (lib/xlb_db_migrate.c) runs this file in one
-- transaction and sets PRAGMA user_version.

-- ---------------------------------------------------------------------------
-- Primes up to the largest Maglev table (65,537): the triggers check a
-- service's ring_size against this table (SQLite triggers cannot use WITH).
-- A sieve: every number, less the multiples a*a, a*a+a, ... of each
-- a <= 256 (sqrt 65,537): ~0.4 M rows to strike, a fraction of a second
-- (trial division against a recursive CTE rescans it: tens of seconds).
CREATE TABLE prime (n INTEGER PRIMARY KEY) WITHOUT ROWID;
INSERT INTO prime (n)
  WITH RECURSIVE c(n) AS (SELECT 2 UNION ALL SELECT n + 1 FROM c WHERE n < 65537)
  SELECT n FROM c;
DELETE FROM prime WHERE n IN (
  WITH RECURSIVE a(a) AS (SELECT 2 UNION ALL SELECT a + 1 FROM a WHERE a < 256),
  m(a, v) AS (SELECT a, a * a FROM a
              UNION ALL SELECT a, v + a FROM m WHERE v + a <= 65537)
  SELECT v FROM m);

-- ---------------------------------------------------------------------------
-- Configuration (written by operators).

-- The node's forwarding settings: one row, id 1.
CREATE TABLE node (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  interface     TEXT    NOT NULL DEFAULT 'eth0'
                CHECK (length(interface) BETWEEN 1 AND 15
                       AND interface NOT GLOB '*[^A-Za-z0-9_.@-]*'),
  xdp_mode      TEXT    NOT NULL DEFAULT 'auto'
                CHECK (xdp_mode IN ('auto', 'native', 'generic')),
  next_hop_mac  TEXT    NOT NULL
                CHECK (next_hop_mac GLOB '[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]'),
  src4          TEXT,   -- outer IPv4 source, ADDR or ADDR/PLEN (per-flow)
  src6          TEXT,   -- outer IPv6 source, ADDR or ADDR/PLEN, PLEN >= 96
  mtu           INTEGER NOT NULL DEFAULT 1500 CHECK (mtu BETWEEN 576 AND 9216),
  ttl           INTEGER NOT NULL DEFAULT 64 CHECK (ttl BETWEEN 1 AND 255),
  echo_reply    INTEGER NOT NULL DEFAULT 1 CHECK (echo_reply IN (0, 1)),
  max_services  INTEGER NOT NULL DEFAULT 4096
                CHECK (max_services BETWEEN 1 AND 65536),
  max_backends  INTEGER NOT NULL DEFAULT 65536
                CHECK (max_backends BETWEEN 1 AND 1048576),
  max_flows     INTEGER NOT NULL DEFAULT 1048576
                CHECK (max_flows BETWEEN 4 AND 4194304
                       AND (max_flows & (max_flows - 1)) = 0)
);

-- Health checks, shareable: backends name one.  Identical checks (same
-- target and parameters) are probed once however many rows name them.
CREATE TABLE health_check (
  name          TEXT    PRIMARY KEY
                CHECK (length(name) BETWEEN 1 AND 63
                       AND name NOT GLOB '*[^A-Za-z0-9_.:-]*'),
  type          TEXT    NOT NULL
                CHECK (type IN ('tcp', 'http', 'https', 'icmp', 'udp')),
  port          INTEGER CHECK (port IS NULL OR port BETWEEN 1 AND 65535),
  method        TEXT    NOT NULL DEFAULT 'GET'
                CHECK (method IN ('GET', 'HEAD', 'POST', 'OPTIONS')),
  path          TEXT    NOT NULL DEFAULT '/' CHECK (substr(path, 1, 1) = '/'),
  host          TEXT,
  expect_status TEXT    NOT NULL DEFAULT '200-399'
                CHECK (expect_status GLOB '[1-5][0-9][0-9]'
                       OR expect_status GLOB '[1-5][0-9][0-9]-[1-5][0-9][0-9]'),
  expect_body   TEXT,
  send          BLOB,   -- udp: the payload to send
  tls_verify    INTEGER NOT NULL DEFAULT 0 CHECK (tls_verify IN (0, 1)),
  interval_ms   INTEGER NOT NULL DEFAULT 2000
                CHECK (interval_ms BETWEEN 100 AND 3600000),
  timeout_ms    INTEGER NOT NULL DEFAULT 1000
                CHECK (timeout_ms BETWEEN 10 AND 3600000),
  rise          INTEGER NOT NULL DEFAULT 2 CHECK (rise BETWEEN 1 AND 100),
  fall          INTEGER NOT NULL DEFAULT 3 CHECK (fall BETWEEN 1 AND 100),
  source        TEXT,   -- source address or interface for probes
  CHECK (timeout_ms <= interval_ms)
) WITHOUT ROWID;

-- A service: (vip, proto, port); port 0 is the VIP's all-ports service.
CREATE TABLE service (
  vip           TEXT    NOT NULL,
  proto         TEXT    NOT NULL CHECK (proto IN ('tcp', 'udp')),
  port          INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  ring_size     INTEGER NOT NULL DEFAULT 16381
                CHECK (ring_size BETWEEN 2 AND 65537),
  hash          TEXT    NOT NULL DEFAULT '5tuple'
                CHECK (hash IN ('5tuple', 'src')),
  health_check  TEXT,   -- default check of its backends (health_check.name)
  comment       TEXT,
  PRIMARY KEY (vip, proto, port)
) WITHOUT ROWID;

-- One row per (service, backend).  backend_port 0: the service's port
-- (direct server return keeps the destination port).
CREATE TABLE backend (
  vip           TEXT    NOT NULL,
  proto         TEXT    NOT NULL,
  port          INTEGER NOT NULL,
  address       TEXT    NOT NULL,
  backend_port  INTEGER NOT NULL DEFAULT 0
                CHECK (backend_port BETWEEN 0 AND 65535),
  weight        INTEGER NOT NULL DEFAULT 1 CHECK (weight BETWEEN 0 AND 65535),
  state         TEXT    NOT NULL DEFAULT 'active'
                CHECK (state IN ('active', 'drain', 'maint')),
  health_check  TEXT,   -- overrides the service's
  PRIMARY KEY (vip, proto, port, address, backend_port)
) WITHOUT ROWID;
CREATE INDEX backend_by_address ON backend (address, backend_port);

-- ---------------------------------------------------------------------------
-- Runtime state (written by lbd only).

-- Everything after `applied.revision` is not yet in the datapath.
CREATE TABLE revision (
  rev           INTEGER PRIMARY KEY AUTOINCREMENT,
  tbl           TEXT    NOT NULL,
  op            TEXT    NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  key           TEXT    NOT NULL,
  at            TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE applied (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  revision      INTEGER NOT NULL,
  at            TEXT    NOT NULL
);

-- Health as last heard from hcd, per (backend, check).
CREATE TABLE backend_health (
  address       TEXT    NOT NULL,
  backend_port  INTEGER NOT NULL,
  health_check  TEXT    NOT NULL,
  status        TEXT    NOT NULL CHECK (status IN ('up', 'down', 'unknown')),
  reason        TEXT,
  latency_us    INTEGER,
  since         TEXT    NOT NULL,
  PRIMARY KEY (address, backend_port, health_check)
) WITHOUT ROWID;

-- Whether each VIP has a usable backend on an attached datapath.
CREATE TABLE vip_state (
  vip           TEXT    PRIMARY KEY,
  ready         INTEGER NOT NULL CHECK (ready IN (0, 1)),
  reason        TEXT,
  since         TEXT    NOT NULL
) WITHOUT ROWID;

-- Changes lbd could not apply, and why; the previous state stayed in force.
CREATE TABLE reject (
  rev           INTEGER NOT NULL,
  tbl           TEXT    NOT NULL,
  key           TEXT    NOT NULL,
  field         TEXT    NOT NULL,
  value         TEXT,
  reason        TEXT    NOT NULL,
  at            TEXT    NOT NULL
);

-- ---------------------------------------------------------------------------
-- Write-time validation.  SQLite 3.40 (Debian 12) takes only a literal in
-- RAISE(ABORT, ...), so a check that must name the key and the value fails
-- through json_extract() with the message as a malformed path: the one
-- built-in whose error quotes its argument.  Clients see
--   JSON path error near 'backend 203.0.113.10 tcp 80 198.51.100.7 0:
--   weight 70000 is not 0..65535'
-- (lbsh shows only the quoted part), and the statement fails as a whole.
--
-- Each config table has a twin `<table>_check` that
-- never holds a row: BEFORE INSERT and BEFORE UPDATE triggers of the table
-- insert NEW into the twin, whose own trigger runs every check once (one
-- place per table, whether the row is inserted or updated) and ends with
-- RAISE(IGNORE) so nothing is stored.  An address is checked for its shape
-- (the characters and parts an IPv4 or IPv6 address can have); lbd checks
-- the rest (octet ranges, canonical spelling) at apply time.

CREATE TABLE service_check AS SELECT * FROM service WHERE 0;
CREATE TABLE backend_check AS SELECT * FROM backend WHERE 0;
CREATE TABLE node_check AS SELECT * FROM node WHERE 0;
CREATE TABLE health_check_check AS SELECT * FROM health_check WHERE 0;

CREATE TRIGGER service_check_row BEFORE INSERT ON service_check
BEGIN
  SELECT json_extract('{}', printf('service %s %s %s: vip "%s" is not an IPv4 or IPv6 address in lowercase',
                             NEW.vip, NEW.proto, NEW.port, NEW.vip))
  WHERE NOT ((NEW.vip GLOB '[0-9]*.[0-9]*.[0-9]*.[0-9]*'
              AND NEW.vip NOT GLOB '*[^0-9.]*' AND length(NEW.vip) <= 15)
             OR (NEW.vip GLOB '*:*:*' AND NEW.vip NOT GLOB '*[^0-9a-f:.]*'
                 AND length(NEW.vip) <= 45));
  SELECT json_extract('{}', printf('service %s %s %s: proto "%s" is not tcp or udp',
                             NEW.vip, NEW.proto, NEW.port, NEW.proto))
  WHERE NEW.proto NOT IN ('tcp', 'udp');
  SELECT json_extract('{}', printf('service %s %s %s: port "%s" is not 0..65535',
                             NEW.vip, NEW.proto, NEW.port, NEW.port))
  WHERE typeof(NEW.port) != 'integer' OR NEW.port NOT BETWEEN 0 AND 65535;
  SELECT json_extract('{}', printf('service %s %s %s: ring_size "%s" is not a prime of 2..65537',
                             NEW.vip, NEW.proto, NEW.port, NEW.ring_size))
  WHERE NOT EXISTS (SELECT 1 FROM prime WHERE n = NEW.ring_size);
  SELECT json_extract('{}', printf('service %s %s %s: hash "%s" is not 5tuple or src',
                             NEW.vip, NEW.proto, NEW.port, NEW.hash))
  WHERE NEW.hash NOT IN ('5tuple', 'src');
  SELECT json_extract('{}', printf('service %s %s %s: health_check "%s" does not exist',
                             NEW.vip, NEW.proto, NEW.port, NEW.health_check))
  WHERE NEW.health_check IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM health_check WHERE name = NEW.health_check);
  SELECT RAISE(IGNORE);
END;

CREATE TRIGGER backend_check_row BEFORE INSERT ON backend_check
BEGIN
  SELECT json_extract('{}', printf('backend %s %s %s %s %s: no such service',
                             NEW.vip, NEW.proto, NEW.port, NEW.address, NEW.backend_port))
  WHERE NOT EXISTS (SELECT 1 FROM service
                    WHERE vip = NEW.vip AND proto = NEW.proto AND port = NEW.port);
  SELECT json_extract('{}', printf('backend %s %s %s %s %s: address "%s" is not an IPv4 or IPv6 address in lowercase',
                             NEW.vip, NEW.proto, NEW.port, NEW.address, NEW.backend_port, NEW.address))
  WHERE NOT ((NEW.address GLOB '[0-9]*.[0-9]*.[0-9]*.[0-9]*'
              AND NEW.address NOT GLOB '*[^0-9.]*' AND length(NEW.address) <= 15)
             OR (NEW.address GLOB '*:*:*' AND NEW.address NOT GLOB '*[^0-9a-f:.]*'
                 AND length(NEW.address) <= 45));
  SELECT json_extract('{}', printf('backend %s %s %s %s %s: address "%s": an IPv6 VIP needs IPv6 backends',
                             NEW.vip, NEW.proto, NEW.port, NEW.address, NEW.backend_port, NEW.address))
  WHERE NEW.vip GLOB '*:*' AND NEW.address NOT GLOB '*:*';
  SELECT json_extract('{}', printf('backend %s %s %s %s %s: backend_port "%s" is not 0..65535',
                             NEW.vip, NEW.proto, NEW.port, NEW.address, NEW.backend_port, NEW.backend_port))
  WHERE typeof(NEW.backend_port) != 'integer' OR NEW.backend_port NOT BETWEEN 0 AND 65535;
  SELECT json_extract('{}', printf('backend %s %s %s %s %s: weight "%s" is not 0..65535',
                             NEW.vip, NEW.proto, NEW.port, NEW.address, NEW.backend_port, NEW.weight))
  WHERE typeof(NEW.weight) != 'integer' OR NEW.weight NOT BETWEEN 0 AND 65535;
  SELECT json_extract('{}', printf('backend %s %s %s %s %s: state "%s" is not active, drain or maint',
                             NEW.vip, NEW.proto, NEW.port, NEW.address, NEW.backend_port, NEW.state))
  WHERE NEW.state NOT IN ('active', 'drain', 'maint');
  SELECT json_extract('{}', printf('backend %s %s %s %s %s: health_check "%s" does not exist',
                             NEW.vip, NEW.proto, NEW.port, NEW.address, NEW.backend_port, NEW.health_check))
  WHERE NEW.health_check IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM health_check WHERE name = NEW.health_check);
  SELECT RAISE(IGNORE);
END;

CREATE TRIGGER node_check_row BEFORE INSERT ON node_check
BEGIN
  SELECT json_extract('{}', printf('node %s: id must be 1', NEW.id)) WHERE NEW.id IS NOT 1;
  SELECT json_extract('{}', printf('node 1: interface "%s" is not an interface name', NEW.interface))
  WHERE NOT (length(NEW.interface) BETWEEN 1 AND 15
             AND NEW.interface NOT GLOB '*[^A-Za-z0-9_.@-]*');
  SELECT json_extract('{}', printf('node 1: xdp_mode "%s" is not auto, native or generic', NEW.xdp_mode))
  WHERE NEW.xdp_mode NOT IN ('auto', 'native', 'generic');
  SELECT json_extract('{}', printf('node 1: next_hop_mac "%s" is not like 02:00:5e:00:53:01', NEW.next_hop_mac))
  WHERE NEW.next_hop_mac IS NULL OR NEW.next_hop_mac NOT GLOB
    '[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]';
  SELECT json_extract('{}', printf('node 1: mtu "%s" is not 576..9216', NEW.mtu))
  WHERE typeof(NEW.mtu) != 'integer' OR NEW.mtu NOT BETWEEN 576 AND 9216;
  SELECT json_extract('{}', printf('node 1: ttl "%s" is not 1..255', NEW.ttl))
  WHERE typeof(NEW.ttl) != 'integer' OR NEW.ttl NOT BETWEEN 1 AND 255;
  SELECT json_extract('{}', printf('node 1: echo_reply "%s" is not 0 or 1', NEW.echo_reply))
  WHERE NEW.echo_reply NOT IN (0, 1);
  SELECT json_extract('{}', printf('node 1: max_services "%s" is not 1..65536', NEW.max_services))
  WHERE typeof(NEW.max_services) != 'integer' OR NEW.max_services NOT BETWEEN 1 AND 65536;
  SELECT json_extract('{}', printf('node 1: max_backends "%s" is not 1..1048576', NEW.max_backends))
  WHERE typeof(NEW.max_backends) != 'integer' OR NEW.max_backends NOT BETWEEN 1 AND 1048576;
  SELECT json_extract('{}', printf('node 1: max_flows "%s" is not a power of two of 4..4194304', NEW.max_flows))
  WHERE typeof(NEW.max_flows) != 'integer' OR NEW.max_flows NOT BETWEEN 4 AND 4194304
     OR (NEW.max_flows & (NEW.max_flows - 1)) != 0;
  SELECT RAISE(IGNORE);
END;

CREATE TRIGGER health_check_check_row BEFORE INSERT ON health_check_check
BEGIN
  SELECT json_extract('{}', printf('health_check "%s": name must be 1..63 of A-Z a-z 0-9 _ . : -', NEW.name))
  WHERE NOT (length(NEW.name) BETWEEN 1 AND 63 AND NEW.name NOT GLOB '*[^A-Za-z0-9_.:-]*');
  SELECT json_extract('{}', printf('health_check %s: type "%s" is not tcp, http, https, icmp or udp', NEW.name, NEW.type))
  WHERE NEW.type NOT IN ('tcp', 'http', 'https', 'icmp', 'udp');
  SELECT json_extract('{}', printf('health_check %s: port "%s" is not 1..65535', NEW.name, NEW.port))
  WHERE NEW.port IS NOT NULL AND (typeof(NEW.port) != 'integer' OR NEW.port NOT BETWEEN 1 AND 65535);
  SELECT json_extract('{}', printf('health_check %s: method "%s" is not GET, HEAD, POST or OPTIONS', NEW.name, NEW.method))
  WHERE NEW.method IS NULL OR NEW.method NOT IN ('GET', 'HEAD', 'POST', 'OPTIONS');
  SELECT json_extract('{}', printf('health_check %s: path "%s" does not start with /', NEW.name, NEW.path))
  WHERE NEW.path IS NULL OR substr(NEW.path, 1, 1) != '/';
  SELECT json_extract('{}', printf('health_check %s: tls_verify "%s" is not 0 or 1', NEW.name, NEW.tls_verify))
  WHERE NEW.tls_verify IS NULL OR NEW.tls_verify NOT IN (0, 1);
  SELECT json_extract('{}', printf('health_check %s: interval_ms "%s" is not 100..3600000', NEW.name, NEW.interval_ms))
  WHERE typeof(NEW.interval_ms) != 'integer' OR NEW.interval_ms NOT BETWEEN 100 AND 3600000;
  SELECT json_extract('{}', printf('health_check %s: timeout_ms "%s" is not 10..interval_ms', NEW.name, NEW.timeout_ms))
  WHERE typeof(NEW.timeout_ms) != 'integer' OR NEW.timeout_ms NOT BETWEEN 10 AND NEW.interval_ms;
  SELECT json_extract('{}', printf('health_check %s: rise "%s" is not 1..100', NEW.name, NEW.rise))
  WHERE typeof(NEW.rise) != 'integer' OR NEW.rise NOT BETWEEN 1 AND 100;
  SELECT json_extract('{}', printf('health_check %s: fall "%s" is not 1..100', NEW.name, NEW.fall))
  WHERE typeof(NEW.fall) != 'integer' OR NEW.fall NOT BETWEEN 1 AND 100;
  SELECT json_extract('{}', printf('health_check %s: expect_status "%s" is not like 200 or 200-399', NEW.name, NEW.expect_status))
  WHERE NOT (NEW.expect_status GLOB '[1-5][0-9][0-9]'
             OR NEW.expect_status GLOB '[1-5][0-9][0-9]-[1-5][0-9][0-9]');
  SELECT RAISE(IGNORE);
END;

-- Every insert and update of a config table passes its twin's checks.  A
-- key is an identity: changing it is a delete and an insert.

CREATE TRIGGER service_validate_insert BEFORE INSERT ON service
BEGIN
  INSERT INTO service_check (vip, proto, port, ring_size, hash, health_check, comment) VALUES (NEW.vip, NEW.proto, NEW.port, NEW.ring_size, NEW.hash, NEW.health_check, NEW.comment);
END;

CREATE TRIGGER service_validate_update BEFORE UPDATE ON service
BEGIN
  SELECT json_extract('{}', printf('service %s: the key cannot change (delete and insert instead)', OLD.vip || ' ' || OLD.proto || ' ' || OLD.port))
  WHERE NEW.vip IS NOT OLD.vip OR NEW.proto IS NOT OLD.proto OR NEW.port IS NOT OLD.port;
  INSERT INTO service_check (vip, proto, port, ring_size, hash, health_check, comment) VALUES (NEW.vip, NEW.proto, NEW.port, NEW.ring_size, NEW.hash, NEW.health_check, NEW.comment);
END;

CREATE TRIGGER backend_validate_insert BEFORE INSERT ON backend
BEGIN
  INSERT INTO backend_check (vip, proto, port, address, backend_port, weight, state, health_check) VALUES (NEW.vip, NEW.proto, NEW.port, NEW.address, NEW.backend_port, NEW.weight, NEW.state, NEW.health_check);
END;

CREATE TRIGGER backend_validate_update BEFORE UPDATE ON backend
BEGIN
  SELECT json_extract('{}', printf('backend %s: the key cannot change (delete and insert instead)', OLD.vip || ' ' || OLD.proto || ' ' || OLD.port || ' ' || OLD.address || ' ' || OLD.backend_port))
  WHERE NEW.vip IS NOT OLD.vip OR NEW.proto IS NOT OLD.proto OR NEW.port IS NOT OLD.port OR NEW.address IS NOT OLD.address OR NEW.backend_port IS NOT OLD.backend_port;
  INSERT INTO backend_check (vip, proto, port, address, backend_port, weight, state, health_check) VALUES (NEW.vip, NEW.proto, NEW.port, NEW.address, NEW.backend_port, NEW.weight, NEW.state, NEW.health_check);
END;

CREATE TRIGGER node_validate_insert BEFORE INSERT ON node
BEGIN
  INSERT INTO node_check (id, interface, xdp_mode, next_hop_mac, src4, src6, mtu, ttl, echo_reply, max_services, max_backends, max_flows) VALUES (NEW.id, NEW.interface, NEW.xdp_mode, NEW.next_hop_mac, NEW.src4, NEW.src6, NEW.mtu, NEW.ttl, NEW.echo_reply, NEW.max_services, NEW.max_backends, NEW.max_flows);
END;

CREATE TRIGGER node_validate_update BEFORE UPDATE ON node
BEGIN
  SELECT json_extract('{}', printf('node %s: the key cannot change (delete and insert instead)', OLD.id))
  WHERE NEW.id IS NOT OLD.id;
  INSERT INTO node_check (id, interface, xdp_mode, next_hop_mac, src4, src6, mtu, ttl, echo_reply, max_services, max_backends, max_flows) VALUES (NEW.id, NEW.interface, NEW.xdp_mode, NEW.next_hop_mac, NEW.src4, NEW.src6, NEW.mtu, NEW.ttl, NEW.echo_reply, NEW.max_services, NEW.max_backends, NEW.max_flows);
END;

CREATE TRIGGER health_check_validate_insert BEFORE INSERT ON health_check
BEGIN
  INSERT INTO health_check_check (name, type, port, method, path, host, expect_status, expect_body, send, tls_verify, interval_ms, timeout_ms, rise, fall, source) VALUES (NEW.name, NEW.type, NEW.port, NEW.method, NEW.path, NEW.host, NEW.expect_status, NEW.expect_body, NEW.send, NEW.tls_verify, NEW.interval_ms, NEW.timeout_ms, NEW.rise, NEW.fall, NEW.source);
END;

CREATE TRIGGER health_check_validate_update BEFORE UPDATE ON health_check
BEGIN
  SELECT json_extract('{}', printf('health_check %s: the key cannot change (delete and insert instead)', OLD.name))
  WHERE NEW.name IS NOT OLD.name;
  INSERT INTO health_check_check (name, type, port, method, path, host, expect_status, expect_body, send, tls_verify, interval_ms, timeout_ms, rise, fall, source) VALUES (NEW.name, NEW.type, NEW.port, NEW.method, NEW.path, NEW.host, NEW.expect_status, NEW.expect_body, NEW.send, NEW.tls_verify, NEW.interval_ms, NEW.timeout_ms, NEW.rise, NEW.fall, NEW.source);
END;

-- A service's backend rows go with it; a check still named cannot go.
CREATE TRIGGER service_delete_backends AFTER DELETE ON service
BEGIN
  DELETE FROM backend WHERE vip = OLD.vip AND proto = OLD.proto AND port = OLD.port;
END;

CREATE TRIGGER health_check_in_use BEFORE DELETE ON health_check
BEGIN
  SELECT json_extract('{}', printf('health_check %s: still named by a service or backend', OLD.name))
  WHERE EXISTS (SELECT 1 FROM service WHERE health_check = OLD.name)
     OR EXISTS (SELECT 1 FROM backend WHERE health_check = OLD.name);
END;

-- ---------------------------------------------------------------------------
-- The revision log: one row per changed config row, in commit order.

CREATE TRIGGER service_log_insert AFTER INSERT ON service
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('service', 'insert', NEW.vip || ' ' || NEW.proto || ' ' || NEW.port);
END;
CREATE TRIGGER service_log_update AFTER UPDATE ON service
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('service', 'update', NEW.vip || ' ' || NEW.proto || ' ' || NEW.port);
END;
CREATE TRIGGER service_log_delete AFTER DELETE ON service
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('service', 'delete', OLD.vip || ' ' || OLD.proto || ' ' || OLD.port);
END;

CREATE TRIGGER backend_log_insert AFTER INSERT ON backend
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('backend', 'insert', NEW.vip || ' ' || NEW.proto || ' ' || NEW.port || ' ' || NEW.address || ' ' || NEW.backend_port);
END;
CREATE TRIGGER backend_log_update AFTER UPDATE ON backend
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('backend', 'update', NEW.vip || ' ' || NEW.proto || ' ' || NEW.port || ' ' || NEW.address || ' ' || NEW.backend_port);
END;
CREATE TRIGGER backend_log_delete AFTER DELETE ON backend
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('backend', 'delete', OLD.vip || ' ' || OLD.proto || ' ' || OLD.port || ' ' || OLD.address || ' ' || OLD.backend_port);
END;

CREATE TRIGGER node_log_insert AFTER INSERT ON node
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('node', 'insert', NEW.id);
END;
CREATE TRIGGER node_log_update AFTER UPDATE ON node
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('node', 'update', NEW.id);
END;
CREATE TRIGGER node_log_delete AFTER DELETE ON node
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('node', 'delete', OLD.id);
END;

CREATE TRIGGER health_check_log_insert AFTER INSERT ON health_check
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('health_check', 'insert', NEW.name);
END;
CREATE TRIGGER health_check_log_update AFTER UPDATE ON health_check
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('health_check', 'update', NEW.name);
END;
CREATE TRIGGER health_check_log_delete AFTER DELETE ON health_check
BEGIN
  INSERT INTO revision (tbl, op, key) VALUES ('health_check', 'delete', OLD.name);
END;
