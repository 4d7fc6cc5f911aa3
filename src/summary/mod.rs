//! Stage 4: filled returns → counted records → annex 5, weekly figures,
//! follow-up and the files that go up the chain.

pub(crate) mod brief;
pub(crate) mod closing;
pub mod count;
pub mod identity;
pub(crate) mod job;
pub mod ledger;
pub(crate) mod read;
pub(crate) mod report;
pub mod resolve;
pub mod returns;
