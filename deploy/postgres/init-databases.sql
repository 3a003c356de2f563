-- Runs once, when the PostgreSQL volume is new: one database per service (DESIGN: each
-- service owns its database). Owned by POSTGRES_USER, which compose.yaml's services use.
CREATE DATABASE subscriptions;
CREATE DATABASE events;
CREATE DATABASE mailer;
