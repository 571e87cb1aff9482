//! Matchers behind policy settings, each a plain function over strings, no I/O:
//!
//! * [`glob`]: shell-style globs for names of identities and objects.
//! * [`origin`]: source URLs parsed into scheme, user, host, port and path, and origin
//!   allowlists matched at host and path-segment boundaries.
//! * [`image_ref`]: container image references normalised (`nginx` is
//!   `docker.io/library/nginx`) and registry/repository allowlists.
//! * [`semver_range`]: Masterminds semver constraints (chart versions, image policies) and
//!   whether they are bounded above.
//! * [`regex_check`]: static checks of Flux's Go regexes (compiles under Go's rules, anchored
//!   `^…$`, literal prefix, exact literal, named groups) by a small parser, no regex crate.

pub mod glob;
pub mod image_ref;
pub mod origin;
pub mod regex_check;
pub mod semver_range;
