//! Tooling for developers, apart from the product's stages: the benchmark's
//! runner, and the generators of the demonstration roster, its returns and
//! synthetic cities.

pub mod bench;
pub(crate) mod sample;
