//! The verification log as CSV: `line,record,column,severity,code,message,value`,
//! every cell formula-safe so that opening it in a spreadsheet runs nothing.

use std::io::{self, Write};

use super::formula_safe;
use crate::rules::Verification;

pub const HEADER: [&str; 7] = [
    "line", "record", "column", "severity", "code", "message", "value",
];

pub fn write(log: &Verification, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(HEADER)?;
    for f in &log.findings {
        let line = f.line.to_string();
        let record = f.record.to_string();
        let cells = [
            line.as_str(),
            record.as_str(),
            log.column_name(f).unwrap_or(""),
            f.severity.as_str(),
            f.code.as_str(),
            &f.message,
            f.value.as_deref().unwrap_or(""),
        ];
        w.write_record(cells.iter().map(|c| formula_safe(c).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}
