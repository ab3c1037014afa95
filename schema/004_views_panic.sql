-- xlb schema version 4: the shell's views follow panic mode (003).
--
-- A service listed in service_panic routes to every active backend of
-- weight > 0 whatever hcd says, so those rows are usable; `services` says
-- which services are in panic.  Views only: dropped and made again.

DROP VIEW backends;
DROP VIEW services;
DROP VIEW backend_status;

-- One row per (service, backend) with the health that applies to it.
CREATE VIEW backend_status AS
SELECT b.vip, b.proto, b.port, b.address, b.backend_port, b.weight, b.state,
       coalesce(b.health_check, s.health_check) AS health_check,
       CASE WHEN coalesce(b.health_check, s.health_check) IS NULL THEN 'up'
            ELSE coalesce(h.status, 'unknown') END AS health,
       h.reason AS health_reason,
       h.since AS health_since,
       (b.state = 'active' AND b.weight > 0
        AND (coalesce(h.status, 'up') <> 'down' OR p.vip IS NOT NULL))
         AS usable
FROM backend b
JOIN service s ON s.vip = b.vip AND s.proto = b.proto AND s.port = b.port
LEFT JOIN backend_health h
       ON h.address = b.address AND h.backend_port = b.backend_port
      AND h.health_check = coalesce(b.health_check, s.health_check)
LEFT JOIN service_panic p
       ON p.vip = b.vip AND p.proto = b.proto AND p.port = b.port;

-- Every service with its backend counts, panic and whether its VIP is
-- announced.
CREATE VIEW services AS
SELECT s.vip, s.proto, s.port, s.ring_size, s.hash, s.health_check,
       count(bs.address) AS backends,
       coalesce(sum(bs.state = 'active'), 0) AS active,
       coalesce(sum(bs.state = 'drain'), 0) AS draining,
       coalesce(sum(bs.health = 'up'), 0) AS up,
       coalesce(sum(bs.health = 'down'), 0) AS down,
       coalesce(sum(bs.usable), 0) AS usable,
       (p.vip IS NOT NULL) AS panic,
       v.ready AS vip_ready,
       v.reason AS vip_reason,
       s.comment
FROM service s
LEFT JOIN backend_status bs
       ON bs.vip = s.vip AND bs.proto = s.proto AND bs.port = s.port
LEFT JOIN service_panic p
       ON p.vip = s.vip AND p.proto = s.proto AND p.port = s.port
LEFT JOIN vip_state v ON v.vip = s.vip
GROUP BY s.vip, s.proto, s.port;

-- Every backend (address, port) with the services it serves.
CREATE VIEW backends AS
SELECT address, backend_port,
       count(*) AS services,
       sum(usable) AS usable_in,
       group_concat(DISTINCT health) AS health,
       group_concat(vip || ' ' || proto || ' ' || port, ', ') AS serves
FROM (SELECT * FROM backend_status ORDER BY vip, proto, port)
GROUP BY address, backend_port;
