"""The platform package: settings, database, outbox, broker, errors, auth, tokens, i18n, contract."""
