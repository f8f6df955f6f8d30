//! Bytes to records: where the file comes from, which encoding and delimiter
//! it uses, what its header means, and its records with their physical line
//! numbers (SPEC §4).
//!
//! Nothing here judges a value; that is `rules`. The only errors raised here
//! are the file-level ones that stop a run (exit 2): unreadable, not text
//! (a workbook, an archive, an image: named for what it is), empty, a
//! missing or repeated column, a header whose quote is never closed. What
//! reading finds about the rows (lines that are not UTF-8, a quote the end
//! of the file closed) is plain data ([`lines`]) that `rules` turns into
//! findings.

pub mod blocks;
pub mod dialect;
pub mod encoding;
pub mod header;
pub mod lines;
pub mod names;
pub mod reader;
pub mod records;
pub mod source;

pub use dialect::Dialect;
pub use encoding::TextEncoding;
pub use header::HeaderMap;
pub use lines::{BadByte, BadLine, Unclosed};
pub use reader::{CsvInput, Piece, ReadSizes};
pub use records::{Fields, Record};
pub use source::Source;
