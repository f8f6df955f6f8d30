//! What the header line means: which field holds which `Column`, and how
//! the file names them.
//!
//! A missing required column or a column given twice makes the file
//! unusable (exit 2) and the message shows the header we expect; an unknown
//! column is only a warning, and its values are ignored. In a Google
//! Workspace file the columns onboard does not read are many and mostly
//! empty (Org Unit Path, Employee ID, ...): one of them is a warning only
//! once a row fills it, like a column without a header (SPEC §13). A Google
//! file has no Display Name column: it is built from the first and last
//! names.

use crate::columns::{self, Column, ColumnNames, Spelled};
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
    /// How findings name the columns: as the file spells them in an Entra
    /// or Google file, by our labels otherwise.
    pub names: ColumnNames,
    /// Entra's `version:` first line as written (without its line end),
    /// which the annotated copy keeps so that line numbers do not move.
    pub version_line: Option<String>,
    /// The file has no Display Name column and one is made of the first
    /// and last names (a Google file).
    pub builds_display_name: bool,
    /// Fields whose values are ignored, and are worth a warning once a row
    /// fills them: header cells that are empty, and a Google file's
    /// columns that onboard does not read.
    watched: Vec<usize>,
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
        let cells: Vec<String> = cells
            .iter()
            .map(|c| c.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let mut index = [None; columns::COUNT];
        let mut by_position = vec![None; cells.len()];
        let mut unknown = Vec::new();
        let (mut entra, mut google) = (entra_version_line, false);
        for (i, cell) in cells.iter().enumerate() {
            if cell.is_empty() {
                // Excel leaves empty header cells after the last column;
                // whether one is over values is only known from the rows.
                continue;
            }
            match Column::recognise(cell) {
                Some((col, spelled)) => {
                    if let Some(first) = index[col as usize] {
                        return Err(HeaderProblem::Repeated {
                            column: col,
                            first,
                            second: i,
                        });
                    }
                    index[col as usize] = Some(i);
                    by_position[i] = Some(col);
                    entra |= spelled == Spelled::Entra;
                    google |= spelled == Spelled::Google;
                }
                None => unknown.push(i),
            }
        }
        let has = |c: Column| index[c as usize].is_some();
        let ours = [
            Column::UsageLocation,
            Column::Password,
            Column::Groups,
            Column::Manager,
        ]
        .into_iter()
        .any(has);
        let style = if google {
            HeaderStyle::Google
        } else if entra {
            HeaderStyle::Entra
        } else if ours {
            HeaderStyle::Onboard
        } else {
            HeaderStyle::Microsoft365
        };
        let builds_display_name = style == HeaderStyle::Google
            && !has(Column::DisplayName)
            && (has(Column::FirstName) || has(Column::LastName));
        let missing: Vec<Column> = columns::REQUIRED
            .iter()
            .copied()
            .filter(|&c| !(has(c) || (c == Column::DisplayName && builds_display_name)))
            .collect();
        if !missing.is_empty() {
            return Err(HeaderProblem::Missing(missing));
        }
        let mut names = ColumnNames::default();
        if matches!(style, HeaderStyle::Entra | HeaderStyle::Google) {
            for (i, col) in by_position.iter().enumerate() {
                if let Some(col) = col {
                    names.set(*col, cells[i].as_str());
                }
            }
        }
        if builds_display_name {
            let parts: Vec<&str> = [Column::FirstName, Column::LastName]
                .into_iter()
                .filter_map(|c| index[c as usize].map(|i| cells[i].as_str()))
                .collect();
            names.set(Column::DisplayName, parts.join(" + "));
        }
        // A Google file's other columns warn once they hold a value; any
        // other file's warn now.
        let mut warnings = Vec::new();
        let mut watched: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].is_empty()).collect();
        if style == HeaderStyle::Google {
            watched.extend(&unknown);
            watched.sort_unstable();
        } else {
            for &i in &unknown {
                warnings.push(
                    Finding::warning(Code::UnknownColumn, line, 0, None)
                        .message(format!(
                            "column {} \"{}\" is not a template column; its values are ignored",
                            i + 1,
                            crate::finding::shorten(&cells[i])
                        ))
                        .value(&cells[i]),
                );
            }
        }
        Ok((
            HeaderMap {
                index,
                by_position,
                cells,
                style,
                names,
                version_line: None,
                builds_display_name,
                watched,
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

    /// The fields whose values are ignored but are worth a warning once a
    /// row fills them: the header cells that are empty (Excel leaves some
    /// after the last column, over empty columns, and they are ignored),
    /// and in a Google file the columns onboard does not read. One with
    /// values is a warning (`rules::reading`).
    pub fn unnamed(&self) -> Vec<usize> {
        self.watched.clone()
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
    fn maps_a_google_file_and_builds_its_display_name() {
        let cells = [
            "First Name [Required]",
            "Last Name [Required]",
            "Email Address [Required]",
            "Password [Required]",
            "Org Unit Path [Required]",
            "Manager Email",
            "",
        ];
        let (map, warnings) = HeaderMap::parse(&cells, false, 1).unwrap();
        assert!(
            warnings.is_empty(),
            "Google's other columns warn when filled"
        );
        assert_eq!(map.style, HeaderStyle::Google);
        assert!(map.builds_display_name);
        assert_eq!(map.unnamed(), vec![4, 6]);
        assert_eq!(map.names.name(Column::UserName), "Email Address [Required]");
        assert_eq!(
            map.names.name(Column::DisplayName),
            "First Name [Required] + Last Name [Required]"
        );
        assert_eq!(map.names.name(Column::City), "City");
        // Without first and last names there is nothing to build from.
        assert_eq!(
            HeaderMap::parse(
                &["Email Address [Required]", "Password [Required]"],
                false,
                1
            )
            .unwrap_err(),
            HeaderProblem::Missing(vec![Column::DisplayName])
        );
    }

    #[test]
    fn entra_files_keep_their_spelling_and_ours_our_labels() {
        let (map, _) = HeaderMap::parse(
            &["User name [userPrincipalName] Required", "displayName"],
            false,
            1,
        )
        .unwrap();
        assert_eq!(map.style, HeaderStyle::Entra);
        assert_eq!(
            map.names.name(Column::UserName),
            "User name [userPrincipalName] Required"
        );
        assert_eq!(map.names.name(Column::DisplayName), "displayName");
        let (map, _) =
            HeaderMap::parse(&[" user NAME ", "Display Name", "Groups"], false, 1).unwrap();
        assert_eq!(map.style, HeaderStyle::Onboard);
        assert_eq!(map.names.name(Column::UserName), "User Name");
    }

    #[test]
    fn unknown_columns_warn() {
        let (_, w) =
            HeaderMap::parse(&["User Name", "Display Name", "Shoe size", ""], false, 1).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, Code::UnknownColumn);
    }
}
