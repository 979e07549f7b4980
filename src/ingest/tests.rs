//! Tests of the ingest readers against the fixtures in tests/fixtures/ingest.
