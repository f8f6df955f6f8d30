//! The template's columns: their labels, the other spellings a header may use
//! for them, and their length limits.
//!
//! This is the one place that knows the shape of the CSV template (SPEC §3),
//! the header aliases of SPEC §4 and the Google Workspace mapping of SPEC
//! §13. Reading, the rules, the reports and the store all refer to a column
//! by [`Column`], never by its text; how one file spells its columns, for
//! its findings, is a [`ColumnNames`].

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
    /// Group names separated by `;`.
    Groups,
    /// The user name (or bare alias) of the person's manager.
    Manager,
    /// Entra's `Block sign in (Yes/No)`: a per-row sign-in setting.
    BlockSignIn,
    /// Entra's bare `accountEnabled` property: `true` allows sign-in (the
    /// opposite sense of the column above, which Entra labels with the
    /// same property).
    AccountEnabled,
    /// Google's `Password Hash Function [UPLOAD ONLY]`: set, the Password
    /// cell holds a hash, which is never used as a password.
    PasswordHashFunction,
    /// Google's `Change Password at Next Sign-In`: a per-row force-change
    /// flag (`TRUE`/`FALSE`).
    ChangePassword,
    /// Google's `New Status [UPLOAD ONLY]`: a per-row sign-in setting
    /// (`Suspended` blocks).
    NewStatus,
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
    /// Google Workspace's upload CSV label (`Email Address [Required]`),
    /// where it differs from ours.
    google: Option<&'static str>,
    /// Longest value accepted, in characters; `None` where another rule applies.
    max_len: Option<usize>,
}

const SPELLINGS: [Spelling; 26] = [
    sp(
        Column::UserName,
        "User Name",
        Some("userPrincipalName"),
        Some("User name"),
        None,
    )
    .google("Email Address [Required]"),
    sp(
        Column::FirstName,
        "First Name",
        Some("givenName"),
        Some("First name"),
        Some(64),
    )
    .google("First Name [Required]"),
    sp(
        Column::LastName,
        "Last Name",
        Some("surname"),
        Some("Last name"),
        Some(64),
    )
    .google("Last Name [Required]"),
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
    )
    .google("Employee Title"),
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
    )
    .google("Work Phone"),
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
    )
    .google("Recovery Email"),
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
    )
    .google("Password [Required]"),
    sp(Column::Groups, "Groups", None, None, None),
    sp(Column::Manager, "Manager", None, None, None).google("Manager Email"),
    sp(
        Column::BlockSignIn,
        "Block sign in (Yes/No)",
        Some("accountEnabled"),
        Some("Block sign in"),
        None,
    ),
    // Matched by its label before any property, so the bare name is this
    // column and `Block sign in (Yes/No) [accountEnabled]` the one above.
    sp(Column::AccountEnabled, "accountEnabled", None, None, None),
    sp(
        Column::PasswordHashFunction,
        "Password Hash Function [UPLOAD ONLY]",
        None,
        None,
        None,
    )
    .google("Password Hash Function [UPLOAD ONLY]"),
    sp(
        Column::ChangePassword,
        "Change Password at Next Sign-In",
        None,
        None,
        None,
    )
    .google("Change Password at Next Sign-In"),
    sp(
        Column::NewStatus,
        "New Status [UPLOAD ONLY]",
        None,
        None,
        None,
    )
    .google("New Status [UPLOAD ONLY]"),
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
        google: None,
        max_len,
    }
}

impl Spelling {
    /// The same spelling, with Google's label.
    const fn google(mut self, label: &'static str) -> Spelling {
        self.google = Some(label);
        self
    }
}

/// The blank template's columns, in order (SPEC §3): the Microsoft 365
/// admin center's 16, then Usage Location, Password, Groups and Manager.
pub const TEMPLATE: [Column; 20] = [
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
    Column::Groups,
    Column::Manager,
];

/// The template of earlier versions: [`TEMPLATE`] without Groups and
/// Manager. Files with this header are read as before.
pub const TEMPLATE_18: &[Column] = TEMPLATE.as_slice().split_at(18).0;

/// Columns a file must have.
pub const REQUIRED: [Column; 2] = [Column::UserName, Column::DisplayName];

/// Number of [`Column`] variants, for per-column lookup tables.
pub const COUNT: usize = SPELLINGS.len();

/// Whose spelling a header cell is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelled {
    /// Our label (or one Entra shares with it, or writes without its
    /// property).
    Ours,
    /// Microsoft Entra's: a label with its `[property]`, a bare property
    /// name, or a column only Entra has.
    Entra,
    /// Google Workspace's upload CSV.
    Google,
}

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

    /// Recognises a header cell in any accepted spelling: our label,
    /// Google's, Entra's full label (`User name [userPrincipalName]
    /// Required`), Entra's label alone, or the bare property name. Case and
    /// surrounding spaces do not matter.
    pub fn from_header(cell: &str) -> Option<Column> {
        Column::recognise(cell).map(|(c, _)| c)
    }

    /// [`Column::from_header`], and whose spelling the cell is.
    pub fn recognise(cell: &str) -> Option<(Column, Spelled)> {
        let cell = cell.trim_start_matches('\u{feff}').trim();
        let collapsed = collapse_spaces(cell);
        let find = |pick: fn(&Spelling) -> Option<&'static str>| {
            SPELLINGS
                .iter()
                .find(|s| pick(s).is_some_and(|l| l.eq_ignore_ascii_case(&collapsed)))
                .map(|s| s.column)
        };
        // Google's labels first: their brackets (`[Required]`) are not
        // Entra properties.
        if let Some(col) = find(|s| s.google) {
            return Some((col, Spelled::Google));
        }
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
                .map(|s| (s.column, Spelled::Entra));
        }
        let entra_only = |col| matches!(col, Column::BlockSignIn | Column::AccountEnabled);
        if let Some(col) = find(|s| Some(s.label)) {
            let spelled = if entra_only(col) {
                Spelled::Entra
            } else {
                Spelled::Ours
            };
            return Some((col, spelled));
        }
        if let Some(col) = find(|s| s.entra_label) {
            let spelled = if entra_only(col) {
                Spelled::Entra
            } else {
                Spelled::Ours
            };
            return Some((col, spelled));
        }
        find(|s| s.entra_property).map(|col| (col, Spelled::Entra))
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The blank template's header line, comma separated.
pub fn template_header() -> String {
    header_of(&TEMPLATE)
}

/// The header line of `columns`, comma separated.
pub fn header_of(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(",")
}

/// How one file names its columns, for its findings (SPEC §13): an Entra
/// or Google file's columns as the file spells them, our label for every
/// other column. Findings hold a [`Column`]; the reports name it through
/// this.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnNames {
    /// By column; empty when every column goes by its label.
    spelled: Vec<Option<Box<str>>>,
}

impl ColumnNames {
    /// `col` goes by `name` in this file.
    pub fn set(&mut self, col: Column, name: impl Into<Box<str>>) {
        if self.spelled.is_empty() {
            self.spelled = vec![None; COUNT];
        }
        self.spelled[col as usize] = Some(name.into());
    }

    /// The name of `col` in this file.
    pub fn name(&self, col: Column) -> &str {
        match self.spelled.get(col as usize) {
            Some(Some(name)) => name,
            _ => col.label(),
        }
    }

    /// [`ColumnNames::name`] of a finding's column, if it has one.
    pub fn of(&self, col: Option<Column>) -> Option<&str> {
        col.map(|c| self.name(c))
    }
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
             State or Province,ZIP or Postal Code,Country or Region,Usage Location,Password,\
             Groups,Manager"
        );
        assert_eq!(
            header_of(TEMPLATE_18),
            template_header().trim_end_matches(",Groups,Manager")
        );
    }

    #[test]
    fn recognises_google_and_the_bare_account_enabled() {
        let cases = [
            (
                "Email Address [Required]",
                Column::UserName,
                Spelled::Google,
            ),
            ("first name [required]", Column::FirstName, Spelled::Google),
            ("Password [Required]", Column::Password, Spelled::Google),
            (
                "Password Hash Function [UPLOAD ONLY]",
                Column::PasswordHashFunction,
                Spelled::Google,
            ),
            ("Recovery Email", Column::AlternateEmail, Spelled::Google),
            ("Work Phone", Column::OfficePhone, Spelled::Google),
            ("Employee Title", Column::JobTitle, Spelled::Google),
            ("Manager Email", Column::Manager, Spelled::Google),
            (
                "Change Password at Next Sign-In",
                Column::ChangePassword,
                Spelled::Google,
            ),
            (
                "New Status [UPLOAD ONLY]",
                Column::NewStatus,
                Spelled::Google,
            ),
            ("Mobile Phone", Column::MobilePhone, Spelled::Ours),
            ("Department", Column::Department, Spelled::Ours),
            ("accountEnabled", Column::AccountEnabled, Spelled::Entra),
            ("ACCOUNTENABLED", Column::AccountEnabled, Spelled::Entra),
            (
                "Block sign in (Yes/No) [accountEnabled] Required",
                Column::BlockSignIn,
                Spelled::Entra,
            ),
            ("givenName", Column::FirstName, Spelled::Entra),
            ("Groups", Column::Groups, Spelled::Ours),
            ("manager", Column::Manager, Spelled::Ours),
        ];
        for (cell, col, spelled) in cases {
            assert_eq!(Column::recognise(cell), Some((col, spelled)), "{cell}");
        }
        assert_eq!(Column::from_header("Org Unit Path [Required]"), None);
        assert_eq!(Column::from_header("Employee ID"), None);
    }

    #[test]
    fn names_are_labels_unless_the_file_spells_them() {
        let mut names = ColumnNames::default();
        assert_eq!(names.name(Column::UserName), "User Name");
        names.set(Column::UserName, "Email Address [Required]");
        assert_eq!(names.name(Column::UserName), "Email Address [Required]");
        assert_eq!(names.of(Some(Column::City)), Some("City"));
        assert_eq!(names.of(None), None);
    }
}
