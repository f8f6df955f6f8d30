//! The template's columns: their labels, the other spellings a header may use
//! for them, and their length limits.
//!
//! This is the one place that knows the shape of the CSV template (SPEC §3)
//! and the header aliases of SPEC §4. Reading, the rules, the reports and the
//! store all refer to a column by [`Column`], never by its text.

use std::fmt;

/// One column of the template, or a column we understand from another tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    UserName,
    FirstName,
    LastName,
    DisplayName,
    JobTitle,
    Department,
    OfficeNumber,
    OfficePhone,
    MobilePhone,
    Fax,
    AlternateEmail,
    Address,
    City,
    State,
    PostalCode,
    Country,
    UsageLocation,
    Password,
    /// Entra's `Block sign in (Yes/No)`: a per-row sign-in setting.
    BlockSignIn,
    /// The column `--annotated` adds; ignored when the file is read back.
    Verification,
}

/// How a column is spelled in the places we accept it from.
struct Spelling {
    column: Column,
    /// Our label, as written in the blank template.
    label: &'static str,
    /// Microsoft Entra "Bulk create users" property name (`[userPrincipalName]`).
    entra_property: Option<&'static str>,
    /// Entra's label without its bracketed property (`Initial password`).
    entra_label: Option<&'static str>,
    /// Longest value accepted, in characters; `None` where another rule applies.
    max_len: Option<usize>,
}

const SPELLINGS: [Spelling; 20] = [
    sp(
        Column::UserName,
        "User Name",
        Some("userPrincipalName"),
        Some("User name"),
        None,
    ),
    sp(
        Column::FirstName,
        "First Name",
        Some("givenName"),
        Some("First name"),
        Some(64),
    ),
    sp(
        Column::LastName,
        "Last Name",
        Some("surname"),
        Some("Last name"),
        Some(64),
    ),
    sp(
        Column::DisplayName,
        "Display Name",
        Some("displayName"),
        Some("Name"),
        Some(256),
    ),
    sp(
        Column::JobTitle,
        "Job Title",
        Some("jobTitle"),
        Some("Job title"),
        Some(64),
    ),
    sp(
        Column::Department,
        "Department",
        Some("department"),
        Some("Department"),
        Some(64),
    ),
    sp(
        Column::OfficeNumber,
        "Office Number",
        Some("physicalDeliveryOfficeName"),
        Some("Office"),
        Some(128),
    ),
    sp(
        Column::OfficePhone,
        "Office Phone",
        Some("telephoneNumber"),
        Some("Office phone"),
        Some(64),
    ),
    sp(
        Column::MobilePhone,
        "Mobile Phone",
        Some("mobile"),
        Some("Mobile phone"),
        Some(64),
    ),
    sp(
        Column::Fax,
        "Fax",
        Some("facsimileTelephoneNumber"),
        Some("Fax number"),
        Some(64),
    ),
    sp(
        Column::AlternateEmail,
        "Alternate email address",
        Some("otherMails"),
        None,
        Some(256),
    ),
    sp(
        Column::Address,
        "Address",
        Some("streetAddress"),
        Some("Street address"),
        Some(1023),
    ),
    sp(Column::City, "City", Some("city"), Some("City"), Some(128)),
    sp(
        Column::State,
        "State or Province",
        Some("state"),
        Some("State or province"),
        Some(128),
    ),
    sp(
        Column::PostalCode,
        "ZIP or Postal Code",
        Some("postalCode"),
        Some("ZIP or postal code"),
        Some(40),
    ),
    sp(
        Column::Country,
        "Country or Region",
        Some("country"),
        Some("Country or region"),
        Some(128),
    ),
    sp(
        Column::UsageLocation,
        "Usage Location",
        Some("usageLocation"),
        Some("Usage location"),
        None,
    ),
    sp(
        Column::Password,
        "Password",
        Some("passwordProfile"),
        Some("Initial password"),
        None,
    ),
    sp(
        Column::BlockSignIn,
        "Block sign in (Yes/No)",
        Some("accountEnabled"),
        Some("Block sign in"),
        None,
    ),
    sp(Column::Verification, "Verification", None, None, None),
];

const fn sp(
    column: Column,
    label: &'static str,
    entra_property: Option<&'static str>,
    entra_label: Option<&'static str>,
    max_len: Option<usize>,
) -> Spelling {
    Spelling {
        column,
        label,
        entra_property,
        entra_label,
        max_len,
    }
}

/// The blank template's columns, in order (SPEC §3).
pub const TEMPLATE: [Column; 18] = [
    Column::UserName,
    Column::FirstName,
    Column::LastName,
    Column::DisplayName,
    Column::JobTitle,
    Column::Department,
    Column::OfficeNumber,
    Column::OfficePhone,
    Column::MobilePhone,
    Column::Fax,
    Column::AlternateEmail,
    Column::Address,
    Column::City,
    Column::State,
    Column::PostalCode,
    Column::Country,
    Column::UsageLocation,
    Column::Password,
];

/// Columns a file must have.
pub const REQUIRED: [Column; 2] = [Column::UserName, Column::DisplayName];

/// Number of [`Column`] variants, for per-column lookup tables.
pub const COUNT: usize = SPELLINGS.len();

impl Column {
    const fn spelling(self) -> &'static Spelling {
        &SPELLINGS[self as usize]
    }

    /// The label of the blank template.
    pub fn label(self) -> &'static str {
        self.spelling().label
    }

    /// The longest value the column accepts, in characters, where a plain
    /// length rule applies.
    pub const fn max_len(self) -> Option<usize> {
        self.spelling().max_len
    }

    /// Every column, in declaration order.
    pub fn all() -> impl Iterator<Item = Column> {
        SPELLINGS.iter().map(|s| s.column)
    }

    /// Recognises a header cell in any accepted spelling: our label, Entra's
    /// full label (`User name [userPrincipalName] Required`), Entra's label
    /// alone, or the bare property name. Case and surrounding spaces do not
    /// matter.
    pub fn from_header(cell: &str) -> Option<Column> {
        let cell = cell.trim_start_matches('\u{feff}').trim();
        // Entra's full label carries the property in brackets; it decides.
        if let (Some(open), Some(close)) = (cell.find('['), cell.rfind(']'))
            && open < close
        {
            let property = cell[open + 1..close].trim();
            return SPELLINGS
                .iter()
                .find(|s| {
                    s.entra_property
                        .is_some_and(|p| p.eq_ignore_ascii_case(property))
                })
                .map(|s| s.column);
        }
        let cell = collapse_spaces(cell);
        SPELLINGS
            .iter()
            .find(|s| {
                s.label.eq_ignore_ascii_case(&cell)
                    || s.entra_label.is_some_and(|l| l.eq_ignore_ascii_case(&cell))
                    || s.entra_property
                        .is_some_and(|p| p.eq_ignore_ascii_case(&cell))
            })
            .map(|s| s.column)
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The blank template's header line, comma separated.
pub fn template_header() -> String {
    TEMPLATE
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(",")
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_are_indexed_by_variant() {
        for (i, s) in SPELLINGS.iter().enumerate() {
            assert_eq!(s.column as usize, i, "{}", s.label);
        }
    }

    #[test]
    fn recognises_every_spelling() {
        assert_eq!(Column::from_header(" user NAME "), Some(Column::UserName));
        assert_eq!(
            Column::from_header("\u{feff}User Name"),
            Some(Column::UserName)
        );
        assert_eq!(
            Column::from_header("User name [userPrincipalName] Required"),
            Some(Column::UserName)
        );
        assert_eq!(
            Column::from_header("userPrincipalName"),
            Some(Column::UserName)
        );
        assert_eq!(
            Column::from_header("Initial password"),
            Some(Column::Password)
        );
        assert_eq!(
            Column::from_header("Block sign in (Yes/No) [accountEnabled] Required"),
            Some(Column::BlockSignIn)
        );
        assert_eq!(Column::from_header("Office"), Some(Column::OfficeNumber));
        assert_eq!(Column::from_header("Street address"), Some(Column::Address));
        assert_eq!(
            Column::from_header("Usage location"),
            Some(Column::UsageLocation)
        );
        assert_eq!(
            Column::from_header("Name [displayName] Required"),
            Some(Column::DisplayName)
        );
        assert_eq!(Column::from_header("Shoe size"), None);
        assert_eq!(Column::from_header("Shoe [size]"), None);
    }

    #[test]
    fn template_header_matches_spec() {
        assert_eq!(
            template_header(),
            "User Name,First Name,Last Name,Display Name,Job Title,Department,Office Number,\
             Office Phone,Mobile Phone,Fax,Alternate email address,Address,City,\
             State or Province,ZIP or Postal Code,Country or Region,Usage Location,Password"
        );
    }
}
