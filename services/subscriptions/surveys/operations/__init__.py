"""Use-cases of the surveys part: plain functions on a Session that flush and never commit."""
