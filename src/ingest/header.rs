//! What the header line means: which field holds which `Column`.
//!
//! A missing required column or a column given twice makes the file
//! unusable (exit 2) and the message shows the header we expect; an unknown
//! column is only a warning, and its values are ignored.

use crate::columns::{self, Column};
use crate::finding::{Code, Finding};

use super::dialect::HeaderStyle;

/// Position of each known column in a record.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    index: [Option<usize>; columns::COUNT],
    /// The column of each field position (the inverse of `index`).
    by_position: Vec<Option<Column>>,
    /// The header cells as written (trimmed), for the annotated copy.
    pub cells: Vec<String>,
    pub style: HeaderStyle,
}

/// Why a header cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    Missing(Vec<Column>),
    Repeated {
        column: Column,
        first: usize,
        second: usize,
    },
}

impl HeaderMap {
    /// Maps `cells`; `entra_version_line` tells whether Entra's first line
    /// was seen. Unknown columns come back as warnings on `line`.
    pub fn parse(
        cells: &[&str],
        entra_version_line: bool,
        line: u64,
    ) -> Result<(HeaderMap, Vec<Finding>), HeaderProblem> {
        let mut index = [None; columns::COUNT];
        let mut by_position = vec![None; cells.len()];
        let mut warnings = Vec::new();
        let mut entra = entra_version_line;
        for (i, raw) in cells.iter().enumerate() {
            let cell = raw.trim_start_matches('\u{feff}').trim();
            if cell.is_empty() {
                // Excel leaves empty header cells after the last column;
                // whether one is over values is only known from the rows.
                continue;
            }
            match Column::from_header(cell) {
                Some(col) => {
                    if let Some(first) = index[col as usize] {
                        return Err(HeaderProblem::Repeated {
                            column: col,
                            first,
                            second: i,
                        });
                    }
                    index[col as usize] = Some(i);
                    by_position[i] = Some(col);
                    entra |= cell.contains('[') || (col == Column::BlockSignIn);
                }
                None => warnings.push(
                    Finding::warning(Code::UnknownColumn, line, 0, None)
                        .message(format!(
                            "column {} \"{}\" is not a template column; its values are ignored",
                            i + 1,
                            crate::finding::shorten(cell)
                        ))
                        .value(cell),
                ),
            }
        }
        let missing: Vec<Column> = columns::REQUIRED
            .iter()
            .copied()
            .filter(|c| index[*c as usize].is_none())
            .collect();
        if !missing.is_empty() {
            return Err(HeaderProblem::Missing(missing));
        }
        let ours = index[Column::UsageLocation as usize].is_some()
            || index[Column::Password as usize].is_some();
        let style = if entra {
            HeaderStyle::Entra
        } else if ours {
            HeaderStyle::Onboard
        } else {
            HeaderStyle::Microsoft365
        };
        let cells: Vec<String> = cells
            .iter()
            .map(|c| c.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        Ok((
            HeaderMap {
                index,
                by_position,
                cells,
                style,
            },
            warnings,
        ))
    }

    /// Field position of `col`, if the file has it.
    #[inline]
    pub fn position(&self, col: Column) -> Option<usize> {
        self.index[col as usize]
    }

    /// The column at each field position (`None`: not a template column).
    pub fn by_position(&self) -> &[Option<Column>] {
        &self.by_position
    }

    /// The positions of the header cells that are empty. Excel leaves
    /// some after the last column, over empty columns, and they are
    /// ignored; one over values is a warning (`rules::reading`).
    pub fn unnamed(&self) -> Vec<usize> {
        (0..self.cells.len())
            .filter(|&i| self.cells[i].is_empty())
            .collect()
    }

    /// Number of fields the header has.
    pub fn width(&self) -> usize {
        self.cells.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_microsoft_365_header() {
        let cells: Vec<&str> = "User Name,First Name,Last Name,Display Name,Job Title,Department,\
            Office Number,Office Phone,Mobile Phone,Fax,Alternate email address,Address,City,\
            State or Province,ZIP or Postal Code,Country or Region"
            .split(',')
            .collect();
        let (map, warnings) = HeaderMap::parse(&cells, false, 1).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(map.style, HeaderStyle::Microsoft365);
        assert_eq!(map.position(Column::DisplayName), Some(3));
        assert_eq!(map.position(Column::Password), None);
    }

    #[test]
    fn reports_missing_and_repeated_columns() {
        assert_eq!(
            HeaderMap::parse(&["First Name"], false, 1).unwrap_err(),
            HeaderProblem::Missing(vec![Column::UserName, Column::DisplayName])
        );
        assert!(matches!(
            HeaderMap::parse(
                &["User Name", "Display Name", "userPrincipalName"],
                false,
                1
            ),
            Err(HeaderProblem::Repeated {
                column: Column::UserName,
                first: 0,
                second: 2
            })
        ));
    }

    #[test]
    fn unknown_columns_warn() {
        let (_, w) =
            HeaderMap::parse(&["User Name", "Display Name", "Shoe size", ""], false, 1).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, Code::UnknownColumn);
    }
}
