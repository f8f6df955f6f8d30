//! Bytes to records: where the file comes from, which encoding and delimiter
//! it uses, what its header means, and its records with their physical line
//! numbers (SPEC §4).
//!
//! Nothing here judges a value; that is `rules`. The only errors raised here
//! are the file-level ones that stop a run (exit 2): unreadable, not text,
//! empty, a missing or repeated column.

pub mod blocks;
pub mod dialect;
pub mod encoding;
pub mod header;
pub mod reader;
pub mod records;
pub mod source;

pub use dialect::Dialect;
pub use encoding::TextEncoding;
pub use header::HeaderMap;
pub use reader::{CsvInput, Piece, ReadSizes};
pub use records::{Fields, Record};
pub use source::Source;
