-- The customers table examples/mysql-source/main.tf reads, with synthetic rows (example.com
-- addresses). Load it into a scratch database: mysql crm < seed.sql
CREATE TABLE customers (
  email             varchar(254) NOT NULL PRIMARY KEY,
  given_name        varchar(50),
  family_name       varchar(50),
  country_code      char(2),
  region            varchar(50),
  city              varchar(60),
  postcode          varchar(16),
  lifetime_value    decimal(12,2),
  vip               boolean NOT NULL DEFAULT false,
  newsletter_opt_in boolean NOT NULL DEFAULT false,
  deleted_at        datetime NULL
) DEFAULT CHARSET = utf8mb4;

INSERT INTO customers VALUES
  ('ada.lovelace@example.com',   'Ada',     'Lovelace', 'GB', 'London',      'London',    'N1 9GU',   412.50, true,  true,  NULL),
  ('grace.hopper@example.com',   'Grace',   'Hopper',   'US', 'NY',          'New York',  '10001',    88.00,  false, true,  NULL),
  ('alan.turing@example.com',    'Alan',    'Turing',   'GB', 'Cheshire',    'Wilmslow',  'SK9 1AA',  12.00,  false, true,  NULL),
  ('katherine.j@example.com',    'Katherine','Johnson', 'US', 'VA',          'Hampton',   '23669',    NULL,   false, true,  NULL),
  ('edsger.d@example.com',       'Edsger',  'Dijkstra', 'NL', 'Noord-Holland','Amsterdam', '1012 AB',  960.10, true,  false, NULL),
  ('barbara.liskov@example.com', 'Barbara', 'Liskov',   'US', 'MA',          'Boston',    '02108',    75.25,  false, true,  '2026-03-01 09:00:00'),
  ('niklaus.wirth@example.com',  'Niklaus', 'Wirth',    'CH', 'Zurich',      'Zurich',    '8001',     5.00,   true,  true,  NULL),
  ('frances.allen@example.com',  'Frances', 'Allen',    'US', 'NY',          'Peru',      '12972',    150.00, false, true,  NULL);
