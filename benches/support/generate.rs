//! Deterministic users files for benches and tests: realistic rows of the
//! template (UTF-8 with BOM, CRLF, header), and on request a share of rows
//! with the mistakes people make, and managers.
//!
//! Only `std` and the header from `onboard::columns` (the one place that
//! spells the template): include it with
//! `#[path = "../benches/support/generate.rs"] mod generate;` from tests,
//! benches or examples. The same seed always gives the same bytes (a
//! SplitMix64 generator, no `rand`).

#![allow(dead_code)]

use std::io::{self, Write};

/// The template's header (SPEC §3): 20 columns.
pub fn header() -> String {
    onboard::columns::template_header()
}

/// The header of earlier versions: 18 columns, without Groups and Manager.
pub fn earlier_header() -> String {
    onboard::columns::header_of(onboard::columns::TEMPLATE_18)
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// (as written, ASCII form for the user name)
#[rustfmt::skip]
const FIRST: &[(&str, &str)] = &[
    ("Adele", "adele"), ("Alex", "alex"), ("Allan", "allan"), ("Ana", "ana"),
    ("Bianca", "bianca"), ("Björn", "bjorn"), ("Carlos", "carlos"), ("Chen", "chen"),
    ("Christie", "christie"), ("Debra", "debra"), ("Diego", "diego"), ("Émilie", "emilie"),
    ("Enrico", "enrico"), ("Fatima", "fatima"), ("François", "francois"), ("Grady", "grady"),
    ("Hana", "hana"), ("Henrietta", "henrietta"), ("Irvin", "irvin"), ("Isaiah", "isaiah"),
    ("Jörg", "jorg"), ("José", "jose"), ("Johanna", "johanna"), ("Joni", "joni"),
    ("Kenji", "kenji"), ("Lee", "lee"), ("Lidia", "lidia"), ("Lynne", "lynne"),
    ("Megan", "megan"), ("Miriam", "miriam"), ("Nestor", "nestor"), ("Nuno", "nuno"),
    ("Olga", "olga"), ("Patti", "patti"), ("Pradeep", "pradeep"), ("Priya", "priya"),
    ("Raúl", "raul"), ("Siobhán", "siobhan"), ("Sven", "sven"), ("Zoë", "zoe"),
];

#[rustfmt::skip]
const LAST: &[(&str, &str)] = &[
    ("Vance", "vance"), ("Wilber", "wilber"), ("Deyoung", "deyoung"), ("Siciliani", "siciliani"),
    ("Bowen", "bowen"), ("Wilke", "wilke"), ("Gu", "gu"), ("Holloway", "holloway"),
    ("Langer", "langer"), ("Lorenz", "lorenz"), ("Graham", "graham"), ("Gupta", "gupta"),
    ("Fernandez", "fernandez"), ("Archie", "archie"), ("Brontë", "bronte"), ("Álvarez", "alvarez"),
    ("Müller", "muller"), ("Øvergård", "overgard"), ("Nakamura", "nakamura"), ("O'Brien", "obrien"),
    ("Dubois", "dubois"), ("Kowalski", "kowalski"), ("Rossi", "rossi"), ("Svensson", "svensson"),
    ("Tanaka", "tanaka"), ("Singh", "singh"), ("Silva", "silva"), ("Nguyen", "nguyen"),
    ("Smith", "smith"), ("Johnson", "johnson"), ("Martin", "martin"), ("García", "garcia"),
];

#[rustfmt::skip]
const JOBS: &[&str] = &[
    "Retail Manager", "Marketing Assistant", "HR Manager", "Engineer", "Sales Director, EMEA",
    "Auditor", "Product Manager", "Developer", "Designer", "Accountant", "Support Engineer",
    "Operations Lead", "Legal Counsel", "Data Analyst", "Recruiter", "",
];

#[rustfmt::skip]
const DEPARTMENTS: &[&str] = &[
    "Retail", "Marketing", "HR", "Research & Development", "Sales", "Finance", "Engineering",
    "Operations", "Legal", "Support", "",
];

/// A place: city, state, postal code, country as people write it, ISO code,
/// phone format (`#` is a random digit).
struct Place {
    city: &'static str,
    state: &'static str,
    zip: &'static str,
    country: &'static str,
    code: &'static str,
    phone: &'static str,
    street: &'static str,
}

#[rustfmt::skip]
const PLACES: &[Place] = &[
    Place { city: "Redmond", state: "WA", zip: "98052", country: "United States", code: "US", phone: "+1 425 555 ####", street: "One Microsoft Way" },
    Place { city: "Seattle", state: "WA", zip: "98101", country: "United States", code: "US", phone: "+1 206 555 ####", street: "Pike Street" },
    Place { city: "San Diego", state: "CA", zip: "92121", country: "US", code: "US", phone: "(858) 555-####", street: "Towne Center Dr." },
    Place { city: "Pittsburgh", state: "PA", zip: "15212", country: "USA", code: "US", phone: "412.555.####", street: "North Shore Drive" },
    Place { city: "Toronto", state: "ON", zip: "M5V 2T6", country: "Canada", code: "CA", phone: "+1 416 555 ####", street: "King Street West" },
    Place { city: "London", state: "", zip: "SW1A 2AA", country: "United Kingdom", code: "GB", phone: "+44 20 7946 ####", street: "Downing Street" },
    Place { city: "München", state: "Bayern", zip: "80331", country: "Germany", code: "DE", phone: "+49 89 #### ####", street: "Marienplatz" },
    Place { city: "Paris", state: "", zip: "75008", country: "France", code: "FR", phone: "+33 1 ## ## ## ##", street: "Rue du Faubourg Saint-Honoré" },
    Place { city: "Madrid", state: "", zip: "28014", country: "Spain", code: "ES", phone: "+34 91 555 ####", street: "Calle de Alcalá" },
    Place { city: "Zürich", state: "ZH", zip: "8001", country: "Switzerland", code: "CH", phone: "+41 44 ### ## ##", street: "Bahnhofstrasse" },
    Place { city: "Stockholm", state: "", zip: "111 52", country: "Sweden", code: "SE", phone: "+46 8 ### ### ##", street: "Drottninggatan" },
    Place { city: "Tokyo", state: "", zip: "100-0005", country: "Japan", code: "JP", phone: "+81 3 #### ####", street: "Marunouchi" },
    Place { city: "Sydney", state: "NSW", zip: "2000", country: "Australia", code: "AU", phone: "+61 2 #### ####", street: "George Street" },
    Place { city: "Bengaluru", state: "Karnataka", zip: "560001", country: "India", code: "IN", phone: "+91 80 #### ####", street: "MG Road" },
    Place { city: "São Paulo", state: "SP", zip: "01310-100", country: "Brazil", code: "BR", phone: "+55 11 #### ####", street: "Avenida Paulista" },
];

/// Names in scripts without case, as Japanese, Chinese and Korean users
/// write them (family name first, no space), with the alias IT makes.
#[rustfmt::skip]
const CJK_FIRST: &[(&str, &str)] = &[
    ("太郎", "taro"), ("花子", "hanako"), ("陽翔", "haruto"), ("美咲", "misaki"),
    ("伟", "wei"), ("芳", "fang"), ("秀英", "xiuying"), ("민준", "minjun"), ("서연", "seoyeon"),
];

#[rustfmt::skip]
const CJK_LAST: &[(&str, &str)] = &[
    ("山田", "yamada"), ("佐藤", "sato"), ("鈴木", "suzuki"), ("王", "wang"), ("李", "li"),
    ("张", "zhang"), ("김", "kim"), ("박", "park"),
];

#[rustfmt::skip]
const NICKNAMES: &[&str] = &["Bob", "Liz", "Jim", "Kat", "Max", "Sam", "Bea", "Gus"];

/// What the rows look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The generated rows every earlier measurement used (accents, some
    /// quoted addresses and job titles).
    Plain,
    /// Shaped like administrators' real exports: about 5 % of names in CJK
    /// scripts, 3 % of display names with a quoted nickname (doubled
    /// quotes), commas inside quoted Office, Address and Job Title cells
    /// more often, CRLF.
    Admins,
}

/// Which header the rows are written under, and what goes in Manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    /// The template of earlier versions (18 columns, no Groups or
    /// Manager): with [`Profile::Plain`], the bytes every earlier
    /// measurement used.
    Earlier,
    /// The template (20 columns), Groups and Manager empty.
    Template,
    /// The template with every row's Manager the user name of another row,
    /// as often after it as before it: the valid rows form a tree (eight
    /// reports a manager, in a random order of the rows, so no cycle), and
    /// each invalid row reports to a valid one. No row is invalid for its
    /// manager, so the file has the same findings as with
    /// [`Columns::Template`].
    Managers,
}

/// What the rows look like and which columns they have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub profile: Profile,
    pub columns: Columns,
}

/// The mistakes an invalid row can have; each gives at least one error.
const MISTAKES: u64 = 9;

/// Writes `rows` users after the header. About `invalid_per_mille` rows in
/// a thousand have one mistake (bad alias, unknown domain, bad phone, bad
/// email, bad password, a repeated user name, a value too long, no display
/// name, a bad usage location). User names are unique bare aliases
/// (`first.last123`) except where a repeat is the mistake.
pub fn write_users(
    out: &mut impl Write,
    rows: usize,
    invalid_per_mille: u32,
    seed: u64,
) -> io::Result<()> {
    write_profile(out, rows, invalid_per_mille, seed, Profile::Plain)
}

/// [`write_users`] with rows shaped by `profile`, under the template's
/// header.
pub fn write_profile(
    out: &mut impl Write,
    rows: usize,
    invalid_per_mille: u32,
    seed: u64,
    profile: Profile,
) -> io::Result<()> {
    let shape = Shape {
        profile,
        columns: Columns::Template,
    };
    write_shaped(out, rows, invalid_per_mille, seed, shape)
}

/// [`write_users`] with rows and columns shaped by `shape`. With
/// [`Columns::Earlier`], [`Profile::Plain`] gives the same bytes as ever
/// for the same seed; the other columns change only the header and the
/// last two cells of each row.
pub fn write_shaped(
    out: &mut impl Write,
    rows: usize,
    invalid_per_mille: u32,
    seed: u64,
    shape: Shape,
) -> io::Result<()> {
    // The user names of all rows are known before the first is written:
    // a first pass makes the same rows and keeps their names.
    let mut names = Vec::new();
    let mut managers = Vec::new();
    if shape.columns == Columns::Managers {
        let sink = &mut io::sink();
        generate_rows(
            sink,
            rows,
            invalid_per_mille,
            seed,
            shape,
            &[],
            Some(&mut names),
        )?;
        managers = managers_of(&names, seed);
    }
    let rows_of = Rows {
        managers: &managers,
        names: &names,
    };
    let header = match shape.columns {
        Columns::Earlier => earlier_header(),
        _ => header(),
    };
    out.write_all(b"\xEF\xBB\xBF")?;
    out.write_all(header.as_bytes())?;
    out.write_all(b"\r\n")?;
    generate_rows(out, rows, invalid_per_mille, seed, shape, &[rows_of], None)?;
    out.flush()
}

/// Each row's manager (a row number, `usize::MAX` for none) and the user
/// names of the valid rows.
#[derive(Clone, Copy)]
struct Rows<'a> {
    managers: &'a [usize],
    names: &'a [Option<String>],
}

/// Each row's manager, as a row number (`usize::MAX` for none): `names`
/// holds each row's user name if the row is valid. The valid rows, in a
/// random order, form a tree of eight reports a manager; an invalid row
/// reports to a random valid one.
fn managers_of(names: &[Option<String>], seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed ^ 0x6d61_6e61_6765_7273);
    let mut valid: Vec<usize> = (0..names.len()).filter(|&i| names[i].is_some()).collect();
    // Fisher-Yates.
    for k in (1..valid.len()).rev() {
        let j = rng.below(k as u64 + 1) as usize;
        valid.swap(k, j);
    }
    let mut manager = vec![usize::MAX; names.len()];
    for (k, &row) in valid.iter().enumerate().skip(1) {
        manager[row] = valid[(k - 1) / 8];
    }
    if !valid.is_empty() {
        for (row, name) in names.iter().enumerate() {
            if name.is_none() {
                manager[row] = valid[rng.below(valid.len() as u64) as usize];
            }
        }
    }
    manager
}

/// Writes the rows (not the header). `managers` (empty, or one) gives each
/// row's manager; `keep` gets each row's user name when the row is valid
/// (the first pass of [`Columns::Managers`]).
fn generate_rows(
    out: &mut impl Write,
    rows: usize,
    invalid_per_mille: u32,
    seed: u64,
    shape: Shape,
    managers: &[Rows<'_>],
    mut keep: Option<&mut Vec<Option<String>>>,
) -> io::Result<()> {
    let admins = shape.profile == Profile::Admins;
    let width = match shape.columns {
        Columns::Earlier => 18,
        _ => 20,
    };
    let mut rng = Rng::new(seed);
    let mut cells: Vec<String> = vec![String::new(); width];
    let mut line = String::with_capacity(512);
    let mut previous_alias = String::new();
    for i in 0..rows {
        let cjk = admins && rng.chance(50);
        let (first, first_ascii) = *rng.pick(if cjk { CJK_FIRST } else { FIRST });
        let (last, last_ascii) = *rng.pick(if cjk { CJK_LAST } else { LAST });
        let place = rng.pick(PLACES);
        let alias = format!("{first_ascii}.{last_ascii}{}", i + 1);
        for c in cells.iter_mut() {
            c.clear();
        }
        cells[0].push_str(&alias);
        cells[1].push_str(first);
        cells[2].push_str(last);
        if cjk {
            cells[3].push_str(&format!("{last}{first}"));
        } else if admins && rng.chance(30) {
            let nick = rng.pick(NICKNAMES);
            cells[3].push_str(&format!("{first} \"{nick}\" {last}"));
        } else {
            cells[3].push_str(&format!("{first} {last}"));
        }
        let job = *rng.pick(JOBS);
        cells[4].push_str(job);
        if admins && rng.chance(150) {
            cells[4].push_str(", Contractor");
        }
        let department = *rng.pick(DEPARTMENTS);
        cells[5].push_str(department);
        if rng.chance(500) {
            cells[6].push_str(&format!("{}/{}", 1 + rng.below(40), 1000 + rng.below(9000)));
        } else if admins && rng.chance(300) {
            cells[6].push_str(&format!(
                "Building {}, Floor {}",
                1 + rng.below(40),
                1 + rng.below(12)
            ));
        }
        cells[7] = phone(&mut rng, place.phone);
        if rng.chance(400) {
            cells[8] = phone(&mut rng, place.phone);
        }
        if rng.chance(50) {
            cells[9] = phone(&mut rng, place.phone);
        }
        if rng.chance(600) {
            let host = rng.pick(&[
                "example.com",
                "example.net",
                "example.org",
                "mail.example.co.uk",
            ]);
            cells[10].push_str(&format!("{first_ascii}.{last_ascii}@{host}"));
        }
        if rng.chance(if admins { 450 } else { 200 }) {
            cells[11].push_str(&format!(
                "Suite {}, {} {}",
                100 + rng.below(900),
                1 + rng.below(200),
                place.street
            ));
        } else {
            cells[11].push_str(&format!("{} {}", 1 + rng.below(200), place.street));
        }
        cells[12].push_str(place.city);
        cells[13].push_str(place.state);
        cells[14].push_str(place.zip);
        cells[15].push_str(place.country);
        if rng.chance(700) {
            cells[16].push_str(place.code);
        }
        if rng.chance(20) {
            cells[17] = password(&mut rng);
        }

        let invalid_row = rng.chance(invalid_per_mille);
        if invalid_row {
            match rng.below(MISTAKES) {
                0 => cells[0] = format!("{first_ascii} {last_ascii}{}", i + 1),
                1 => cells[0] = format!("{alias}@northwind-traders.com"),
                2 => cells[7] = "call reception".into(),
                3 => cells[10] = format!("{first_ascii}.{last_ascii}.example.com"),
                4 => cells[17] = "password1".into(),
                5 if !previous_alias.is_empty() => cells[0] = previous_alias.to_uppercase(),
                5 => cells[0] = format!(".{alias}"),
                6 => {
                    cells[4] =
                        "Senior Principal Program Manager, Cloud and Enterprise Identity Group"
                            .into()
                }
                7 => cells[3].clear(),
                _ => cells[16] = "USA".into(),
            }
        }
        // A repeat must name a user name that is in the file as written.
        if let Some(names) = keep.as_mut() {
            names.push((cells[0] == alias && !invalid_row).then(|| alias.clone()));
        }
        if let Some(m) = managers.first().and_then(|r| r.managers.get(i).copied())
            && let Some(Some(name)) = managers.first().and_then(|r| r.names.get(m))
        {
            cells[19].push_str(name);
        }
        if cells[0] == alias {
            previous_alias = alias;
        }

        line.clear();
        for (n, c) in cells.iter().enumerate() {
            if n > 0 {
                line.push(',');
            }
            if c.contains([',', '"', '\r', '\n']) {
                line.push('"');
                line.push_str(&c.replace('"', "\"\""));
                line.push('"');
            } else {
                line.push_str(c);
            }
        }
        line.push_str("\r\n");
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// `format` with every `#` replaced by a random digit.
fn phone(rng: &mut Rng, format: &str) -> String {
    format
        .chars()
        .map(|c| {
            if c == '#' {
                char::from(b'0' + rng.below(10) as u8)
            } else {
                c
            }
        })
        .collect()
}

/// A password that meets the policy and cannot contain an alias (it has no
/// dot, and every alias has one).
fn password(rng: &mut Rng) -> String {
    const LETTERS: &[u8] = b"bcdfghjkmnpqrstvwxzBCDFGHJKMNPQRSTVWXZ";
    let mut p = String::from("Kx9#");
    for _ in 0..10 {
        p.push(char::from(*rng.pick(LETTERS)));
    }
    p
}
