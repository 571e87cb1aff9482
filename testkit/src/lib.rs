//! fluxgate's fixture testkit: the fixture format ([`fixture`], from `fluxgate-fixtures`), strict validation against
//! the real Flux CRD schemas ([`schema`]) and the replay of every fixture through the built
//! wasm policies with the host library ([`runner`]); every policy's rule list for the
//! catalogue ([`catalogue`]); structure-aware fuzzing of the built modules ([`fuzz`]).

pub mod bench_requests;
pub mod bench_table;
pub mod catalogue;
pub mod fuzz;
pub mod playground;
pub mod runner;
pub use fluxgate_fixtures::fixture;
pub use fluxgate_schema as schema;
