//! Tooling for developers, apart from the product's stages: the benchmark's
//! runner (and its part for the web page), measuring child processes, a
//! client for `zoufang serve`, and the generators of the demonstration
//! roster, its returns and synthetic cities.

pub mod bench;
pub(crate) mod bench_page;
pub mod bench_scan;
pub mod measure;
pub mod sample;
pub mod served;
