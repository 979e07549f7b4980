//! dossier: a self-hosted search-and-digest engine for financial and business news and broker
//! research, Chinese and English. See ARCHITECTURE.md for the map of modules.

pub mod dates;
pub mod digest;
pub mod document;
pub mod error;
pub mod ingest;
pub mod seed;
pub mod segment;

pub use document::{Document, Lang};
pub use error::{Error, Location, Result};
pub mod bench;
pub mod config;
pub mod progress;
pub mod store;
pub mod stories;
pub mod demo;
pub mod digesting;
pub mod engine;
pub mod expand;
pub mod eval;
pub mod index;
pub mod ranking;
pub mod report;
pub mod search;
pub mod serve;
pub mod sources;
pub mod workflow;
