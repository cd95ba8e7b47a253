//! Tests of the whole path: bytes → sheet → records.

use std::time::Instant;

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

use super::*;

const USCC_VECTORS: [&str; 3] = [
    "91110000600037341L",
    "91512081MA62K0260E",
    "11100000MB0341032Y",
];
const USCC_BAD_CHECK: &str = "91110000600037341A";

/// A valid GTIN-13 with the 690 prefix.
fn gtin13(n: u64) -> String {
    let data = format!("690{:09}", n % 1_000_000_000);
    let sum: u32 = data
        .bytes()
        .rev()
        .zip([3, 1].into_iter().cycle())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{data}{}", (10 - sum % 10) % 10)
}

fn csv(text: &str) -> Sheet {
    read_sheet(text.as_bytes(), Some("import.csv")).expect("readable csv")
}

fn pharmacies(text: &str) -> Parsed<PharmacyRecord> {
    parse_pharmacies(&csv(text)).expect("pharmacy columns")
}

fn drugs(text: &str) -> Parsed<DrugRecord> {
    parse_drugs(&csv(text)).expect("drug columns")
}

fn codes(rejected: &RejectedRow) -> Vec<(&str, &str)> {
    rejected
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect()
}

/// An .xlsx workbook whose first sheet holds `rows` (all text) starting at A1.
fn xlsx_of_strings(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

// ---------------------------------------------------------------- reading

#[test]
fn empty_files_are_refused() {
    for bytes in [
        &b""[..],
        b"   \r\n\n",
        b",,,\n,,\n",
        b"\xEF\xBB\xBF",
        b"\xEF\xBB\xBF\r\n",
    ] {
        let err = read_sheet(bytes, Some("a.csv")).unwrap_err();
        assert_eq!(err, ImportFileError::Empty, "{bytes:?}");
        assert_eq!(err.code(), "IMPORT_FILE_EMPTY");
    }
    let empty_xlsx = {
        let mut wb = Workbook::new();
        wb.add_worksheet();
        wb.save_to_buffer().unwrap()
    };
    assert_eq!(read_sheet(&empty_xlsx, None), Err(ImportFileError::Empty));
}

#[test]
fn header_only_is_empty() {
    let err = read_sheet("药店名称,许可证编号,区划代码\n\n,,\n".as_bytes(), None).unwrap_err();
    assert_eq!(err, ImportFileError::Empty);
    let xlsx = xlsx_of_strings(&[&["药店名称", "许可证编号", "区划代码"]]);
    assert_eq!(read_sheet(&xlsx, None), Err(ImportFileError::Empty));
    // A title row above a header with no data under it.
    let sheet = csv("武昌区药店名单\n药店名称,许可证编号,区划代码\n");
    assert_eq!(parse_pharmacies(&sheet), Err(ImportFileError::Empty));
}

#[test]
fn png_named_xlsx_is_not_a_spreadsheet() {
    let mut png =
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06".to_vec();
    png.extend_from_slice(&[0u8; 64]);
    let err = read_sheet(&png, Some("药店.xlsx")).unwrap_err();
    assert_eq!(err, ImportFileError::NotASpreadsheet);
    assert_eq!(err.code(), "IMPORT_FILE_INVALID");
    assert!(err.message().contains(".xlsx"));
    // Same bytes without a name, and other binary formats.
    assert_eq!(
        read_sheet(&png, None),
        Err(ImportFileError::NotASpreadsheet)
    );
    for bytes in [
        &b"\xFF\xD8\xFF\xE0\x00\x10JFIF"[..],
        b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00", // legacy .xls
        b"PK\x05\x06\x00\x00\x00\x00",
    ] {
        assert_eq!(
            read_sheet(bytes, Some("a.xls")),
            Err(ImportFileError::NotASpreadsheet)
        );
    }
    // An HTML table saved as ".xls" by a web system.
    let html = "<html><body><table><tr><td>药店名称</td></tr></table></body></html>";
    assert_eq!(
        read_sheet(html.as_bytes(), Some("导出.xls")),
        Err(ImportFileError::NotASpreadsheet)
    );
}

#[test]
fn zip_without_workbook_and_damaged_workbook() {
    let xlsx = xlsx_of_strings(&[
        &["条形码", "批准文号"],
        &["6901234567892", "国药准字H20044578"],
    ]);
    // Rename every "xl/" part: a ZIP that is not a workbook (like a .docx).
    let mut renamed = xlsx.clone();
    for i in 0..renamed.len().saturating_sub(3) {
        if &renamed[i..i + 3] == b"xl/" {
            renamed[i..i + 3].copy_from_slice(b"zz/");
        }
    }
    assert_eq!(
        read_sheet(&renamed, Some("a.xlsx")),
        Err(ImportFileError::NotASpreadsheet)
    );
    // Truncated: the central directory is gone.
    let truncated = &xlsx[..xlsx.len() / 2];
    assert_eq!(
        read_sheet(truncated, Some("a.xlsx")),
        Err(ImportFileError::Unreadable)
    );
    // A corrupted byte in the middle of the compressed data.
    for i in (40..xlsx.len() - 200).step_by(97) {
        let mut damaged = xlsx.clone();
        damaged[i] ^= 0x5A;
        let _ = read_sheet(&damaged, Some("a.xlsx")).map(|s| parse_drugs(&s));
    }
}

#[test]
fn random_bytes_give_an_error_not_a_panic() {
    // Deterministic xorshift: reproducible "random" files of many sizes.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for len in [1usize, 2, 3, 7, 16, 100, 1000, 65_536] {
        for prefix in [&b""[..], b"PK\x03\x04", b"\xEF\xBB\xBF", b"\xFF\xFE"] {
            let mut bytes = prefix.to_vec();
            bytes.extend((0..len).map(|_| next() as u8));
            match read_sheet(&bytes, Some("x.xlsx")) {
                Err(_) => {}
                Ok(sheet) => {
                    // Text that happens to decode: it still has no known columns.
                    assert!(parse_drugs(&sheet).is_err());
                    assert!(parse_pharmacies(&sheet).is_err());
                }
            }
        }
    }
}

#[test]
fn invalid_text_encoding_is_reported() {
    // 0x80 alone and 0xFF are invalid in both UTF-8 and GB18030.
    let bytes = b"name,licence_number\n\x80\xFF\x80,1\n";
    let err = read_sheet(bytes, Some("a.csv")).unwrap_err();
    assert_eq!(err, ImportFileError::Encoding);
    assert_eq!(err.code(), "IMPORT_ENCODING");
    // Broken UTF-8 after a BOM is not guessed at either.
    assert_eq!(
        read_sheet(b"\xEF\xBB\xBFname\n\xC3\x28\n", None),
        Err(ImportFileError::Encoding)
    );
}

#[test]
fn gbk_csv_is_decoded() {
    let text = "药店名称,许可证编号,所属区,地址\r\n\
                武昌大药房,鄂AA0270001,武昌区,武汉市武昌区中南路1号\r\n\
                汉口大药房（江汉店）,鄂AA0270002,江汉区,武汉市江汉区解放大道 88 号\r\n";
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "really GBK bytes");
    let sheet = read_sheet(&gbk, Some("药店.csv")).unwrap();
    assert_eq!(sheet.headers, ["药店名称", "许可证编号", "所属区", "地址"]);
    let parsed = parse_pharmacies(&sheet).unwrap();
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    let (row, p) = &parsed.records[1];
    assert_eq!(*row, 3);
    assert_eq!(p.name, "汉口大药房（江汉店）");
    assert_eq!(p.district, DistrictRef::Name("江汉区".into()));
    assert_eq!(p.address, "武汉市江汉区解放大道 88 号");
}

#[test]
fn utf8_bom_and_utf16_are_decoded() {
    let text = "药店名称,许可证编号,区划代码\n武昌大药房,鄂AA0270001,420106\n";
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let sheet = read_sheet(&bom, None).unwrap();
    assert_eq!(sheet.headers[0], "药店名称", "BOM stripped");
    let parsed = parse_pharmacies(&sheet).unwrap();
    assert_eq!(parsed.records.len(), 1);
    assert_eq!(
        parsed.records[0].1.district,
        DistrictRef::Code("420106".into())
    );

    // Excel's "Unicode text": UTF-16LE with BOM, tab-separated.
    let tsv = text.replace(',', "\t");
    let mut utf16 = vec![0xFF, 0xFE];
    for u in tsv.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let parsed = parse_pharmacies(&read_sheet(&utf16, Some("a.txt")).unwrap()).unwrap();
    assert_eq!(parsed.records.len(), 1);
    assert_eq!(parsed.records[0].1.licence_number, "鄂AA0270001");
}

#[test]
fn other_delimiters() {
    for sep in [";", "\t"] {
        let text = [
            "药店名称",
            "许可证编号",
            "区划代码\n武昌大药房",
            "鄂AA0270001",
            "420106\n",
        ]
        .join(sep);
        let parsed = pharmacies(&text);
        assert_eq!(parsed.records.len(), 1, "{sep:?}");
        assert_eq!(parsed.records[0].1.name, "武昌大药房");
    }
    // The header line decides: semicolons in a cell of a comma file do not count.
    let text = "药店名称,许可证编号,区划代码,地址\n武昌大药房,鄂AA0270001,420106,武汉市;武昌区;;;;中南路\n";
    assert_eq!(
        pharmacies(text).records[0].1.address,
        "武汉市;武昌区;;;;中南路"
    );
    // A comma inside a quoted cell does not make a tab file a comma file.
    let text = "药店名称\t许可证编号\t区划代码\t地址\n武昌大药房\t鄂AA0270001\t420106\t\"中南路1号,2楼\"\n";
    assert_eq!(pharmacies(text).records[0].1.address, "中南路1号,2楼");
}

#[test]
fn blank_rows_are_skipped_and_row_numbers_kept() {
    let text = "\n\
                药店名称,许可证编号,区划代码\n\
                \n\
                武昌大药房,鄂AA0270001,420106\n\
                ,,\n\
                \"多行\n名称\n药房\",鄂AA0270002,420106\n\
                \u{3000},  ,\n\
                江汉药房,鄂AA0270003,420103\n";
    let sheet = csv(text);
    assert_eq!(sheet.header_row, 2);
    let rows: Vec<usize> = sheet.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [4, 6, 8], "a quoted cell with line breaks is one row");
    let parsed = parse_pharmacies(&sheet).unwrap();
    let got: Vec<(usize, &str)> = parsed
        .records
        .iter()
        .map(|(r, p)| (*r, p.name.as_str()))
        .collect();
    assert_eq!(
        got,
        [(4, "武昌大药房"), (6, "多行 名称 药房"), (8, "江汉药房")]
    );
    // Windows line ends, also inside the quoted cell, and old Mac ones.
    let sheet = csv(&text.replace('\n', "\r\n"));
    assert_eq!(sheet.header_row, 2);
    let rows: Vec<usize> = sheet.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [4, 6, 8]);
    let sheet = csv(&text.replace('\n', "\r"));
    let rows: Vec<usize> = sheet.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [4, 6, 8]);
    let sheet = csv("药店名称,许可证编号,区划代码\r\n甲,L1,420106\r乙,L2,420106\n\r\n丙,L3,420106");
    let rows: Vec<usize> = sheet.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [2, 3, 5], "mixed line ends");

    // The same table in a workbook, with empty rows and an empty first column.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in [
        (2u32, ["药店名称", "许可证编号", "区划代码"]),
        (4, ["武昌大药房", "鄂AA0270001", "420106"]),
        (9, ["江汉药房", "鄂AA0270003", "420103"]),
    ] {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r, c as u16 + 1, *v).unwrap();
        }
    }
    ws.write_blank(6, 2, &Format::new().set_bold()).unwrap(); // formatted, empty
    let sheet = read_sheet(&wb.save_to_buffer().unwrap(), Some("a.xlsx")).unwrap();
    assert_eq!(sheet.header_row, 3);
    assert_eq!(sheet.headers, ["", "药店名称", "许可证编号", "区划代码"]);
    let rows: Vec<usize> = sheet.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [5, 10]);
    let parsed = parse_pharmacies(&sheet).unwrap();
    assert_eq!(parsed.records.len(), 2);
    assert_eq!(parsed.records[1].0, 10);
}

#[test]
fn xlsx_numbers_text_dates_and_merges() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let headers = [
        "条形码*",
        "批准文号*",
        "药品名称*",
        "规格",
        "特殊药品类别*",
        "处方药",
        "每次限购",
        "状态",
        "生产日期",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // Row 2: barcode as a number cell, numbers for the cap and a boolean.
    ws.write_number(1, 0, 6_901_234_567_892.0).unwrap();
    ws.write_string(1, 1, "国药准字H20044578").unwrap();
    ws.write_string(1, 2, "复方甘草片").unwrap();
    ws.write_number(1, 3, 2.5).unwrap();
    ws.write_string(1, 4, "复方甘草片").unwrap();
    ws.write_boolean(1, 5, true).unwrap();
    ws.write_number(1, 6, 3).unwrap();
    let date = ExcelDateTime::from_ymd(2024, 3, 15).unwrap();
    ws.write_datetime_with_format(1, 8, &date, &Format::new().set_num_format("yyyy-mm-dd"))
        .unwrap();
    // Row 3: a 14-digit GTIN as a number, a formula with a cached value.
    let gtin14 = "16901234567899";
    assert!(shared::domain::Gtin::parse(gtin14).is_ok());
    ws.write_number(2, 0, gtin14.parse::<f64>().unwrap())
        .unwrap();
    ws.write_string(2, 1, "国药准字h20044579").unwrap();
    ws.write_formula(
        2,
        2,
        Formula::new("=\"氨酚\"&\"麻美片\"").set_result("氨酚麻美片"),
    )
    .unwrap();
    ws.write_string(2, 3, "12片").unwrap();
    ws.write_string(2, 4, "含麻黄碱类复方制剂").unwrap();
    ws.write_number(2, 5, 0).unwrap();
    ws.write_string(2, 7, "停用").unwrap();
    // Rows 4–5: the category merged over both rows.
    ws.write_string(3, 0, gtin13(1)).unwrap();
    ws.write_string(3, 1, "国药准字Z11020236").unwrap();
    ws.write_string(3, 2, "可待因桔梗片").unwrap();
    ws.write_string(4, 0, gtin13(2)).unwrap();
    ws.write_string(4, 1, "国药准字Z11020237").unwrap();
    ws.write_string(4, 2, "复方磷酸可待因溶液").unwrap();
    ws.merge_range(3, 4, 4, 4, "含可待因口服液体", &Format::new())
        .unwrap();
    let bytes = wb.save_to_buffer().unwrap();

    let sheet = read_sheet(&bytes, Some("药品.xlsx")).unwrap();
    assert_eq!(sheet.rows[0].cells[0], "6901234567892");
    assert_eq!(sheet.rows[0].cells[3], "2.5");
    assert_eq!(sheet.rows[0].cells[5], "是");
    assert_eq!(sheet.rows[0].cells[6], "3");
    assert_eq!(sheet.rows[0].cells[8], "2024-03-15");
    assert_eq!(sheet.rows[1].cells[0], gtin14);
    assert_eq!(
        sheet.rows[3].cells[4], "含可待因口服液体",
        "merged value copied down"
    );

    let parsed = parse_drugs(&sheet).unwrap();
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.unknown_columns, ["生产日期"]);
    let d: Vec<&DrugRecord> = parsed.records.iter().map(|(_, d)| d).collect();
    assert_eq!(
        *d[0],
        DrugRecord {
            barcode: "6901234567892".into(),
            approval_number: "国药准字H20044578".into(),
            name: "复方甘草片".into(),
            strength: "2.5".into(),
            manufacturer: String::new(),
            package_unit: "盒".into(),
            special_category: "liquorice",
            rx_only: true,
            max_per_purchase: Some(3),
            active: true,
        }
    );
    assert_eq!(d[1].barcode, gtin14);
    assert_eq!(d[1].approval_number, "国药准字H20044579");
    assert_eq!(d[1].name, "氨酚麻美片");
    assert_eq!(d[1].special_category, "ephedrine");
    assert!(!d[1].rx_only);
    assert!(!d[1].active);
    assert_eq!(d[2].special_category, "codeine");
    assert_eq!(d[3].special_category, "codeine");
    let rows: Vec<usize> = parsed.records.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, [2, 3, 4, 5]);
}

#[test]
fn first_visible_worksheet_is_read() {
    let mut wb = Workbook::new();
    let hidden = wb.add_worksheet();
    hidden.write_string(0, 0, "说明").unwrap();
    hidden.set_hidden(true);
    let ws = wb.add_worksheet();
    ws.set_active(true);
    ws.write_string(0, 0, "name").unwrap();
    ws.write_string(0, 1, "licence_number").unwrap();
    ws.write_string(0, 2, "district").unwrap();
    ws.write_string(1, 0, "武昌大药房").unwrap();
    ws.write_string(1, 1, "鄂AA0270001").unwrap();
    ws.write_string(1, 2, "武昌区").unwrap();
    let sheet = read_sheet(&wb.save_to_buffer().unwrap(), None).unwrap();
    assert_eq!(parse_pharmacies(&sheet).unwrap().records.len(), 1);
}

#[test]
fn too_many_rows() {
    let mut text = String::from("条形码,批准文号,药品名称,特殊药品类别\n");
    for i in 0..=MAX_DATA_ROWS {
        text.push_str(&format!(
            "{},国药准字H20044578,复方甘草片,liquorice\n",
            gtin13(i as u64)
        ));
    }
    let err = read_sheet(text.as_bytes(), None).unwrap_err();
    assert_eq!(err, ImportFileError::TooManyRows { max: MAX_DATA_ROWS });
    assert_eq!(err.code(), "IMPORT_TOO_MANY_ROWS");
    assert!(err.message().contains("20000"));
    // Exactly the maximum is fine.
    let last = text.trim_end().rfind('\n').unwrap();
    let sheet = read_sheet(&text.as_bytes()[..last], None).unwrap();
    assert_eq!(sheet.rows.len(), MAX_DATA_ROWS);
}

#[test]
fn ten_thousand_rows_csv_and_xlsx() {
    const N: usize = 10_000;
    let headers = [
        "药品名称",
        "条形码",
        "批准文号",
        "规格",
        "生产企业",
        "特殊药品类别",
        "处方药",
        "每次限购",
    ];
    let row = |i: usize| {
        [
            format!("复方甘草片{i}"),
            gtin13(i as u64 * 7 + 11),
            format!("国药准字H{:08}", 20_000_000 + i),
            "100片".to_owned(),
            "某某制药有限公司".to_owned(),
            "复方甘草片".to_owned(),
            if i.is_multiple_of(2) { "是" } else { "否" }.to_owned(),
            (i % 5 + 1).to_string(),
        ]
    };

    let mut text = headers.join(",");
    text.push('\n');
    for i in 0..N {
        text.push_str(&row(i).join(","));
        text.push('\n');
    }
    let t = Instant::now();
    let parsed = parse_drugs(&read_sheet(text.as_bytes(), Some("a.csv")).unwrap()).unwrap();
    println!("csv: {N} rows read and validated in {:?}", t.elapsed());
    assert_eq!(parsed.records.len(), N);
    assert!(parsed.rejected.is_empty());
    assert_eq!(parsed.records[N - 1].0, N + 1);

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..N {
        let r = row(i);
        let excel_row = i as u32 + 1;
        for (c, v) in r.iter().enumerate() {
            if c == 1 || c == 7 {
                ws.write_number(excel_row, c as u16, v.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                ws.write_string(excel_row, c as u16, v).unwrap();
            }
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let t = Instant::now();
    let parsed_xlsx = parse_drugs(&read_sheet(&bytes, Some("a.xlsx")).unwrap()).unwrap();
    println!(
        "xlsx: {N} rows ({} KiB) read and validated in {:?}",
        bytes.len() / 1024,
        t.elapsed()
    );
    assert_eq!(parsed_xlsx, parsed, "same records from both formats");
}

// ---------------------------------------------------------------- columns

#[test]
fn missing_required_columns_refuse_the_file() {
    let sheet = csv("名称,编号,电话\n武昌大药房,鄂AA0270001,13800138000\n");
    let err = parse_pharmacies(&sheet).unwrap_err();
    assert_eq!(
        err,
        ImportFileError::MissingColumns(vec![
            "name".into(),
            "licence_number".into(),
            "district_code".into()
        ])
    );
    assert_eq!(err.code(), "IMPORT_MISSING_COLUMNS");
    let msg = err.message();
    for part in [
        "名称（name）",
        "许可证编号（licence_number）",
        "区划代码",
        "所属区",
    ] {
        assert!(msg.contains(part), "{msg}");
    }
    let fields: Vec<String> = err.field_errors().into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["name", "licence_number", "district_code"]);

    let sheet = csv("条形码,药品名称,规格\n6901234567892,复方甘草片,100片\n");
    assert_eq!(
        parse_drugs(&sheet),
        Err(ImportFileError::MissingColumns(vec![
            "approval_number".into(),
            "special_category".into()
        ]))
    );
    // A pharmacy file given to the drug import.
    let sheet = csv("药店名称,许可证编号,区划代码\n武昌大药房,鄂AA0270001,420106\n");
    assert!(matches!(parse_drugs(&sheet), Err(ImportFileError::MissingColumns(c)) if c.len() == 4));
}

#[test]
fn duplicate_columns_refuse_the_file() {
    let sheet = csv("药店名称,许可证编号,区划代码,name,Address,地址\na,b,420106,a,x,y\n");
    let err = parse_pharmacies(&sheet).unwrap_err();
    assert_eq!(
        err,
        ImportFileError::DuplicateColumns(vec!["name".into(), "address".into()])
    );
    assert_eq!(err.code(), "IMPORT_DUPLICATE_COLUMNS");
    assert!(err.message().contains("地址（address）"));
}

#[test]
fn chinese_headers_shuffled_with_required_marks() {
    let text = format!(
        "状态, 联系电话 ,地址,所属区（必填）,统一社会信用代码,＊许可证编号,药店名称*,备注\n\
         停业,027-85551234,武汉市武昌区中南路1号,武昌区,{},鄂aa 0270001,武昌大药房,无\n",
        USCC_VECTORS[0].to_lowercase()
    );
    let parsed = pharmacies(&text);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.unknown_columns, ["备注"]);
    assert_eq!(
        parsed.records,
        [(
            2,
            PharmacyRecord {
                name: "武昌大药房".into(),
                licence_number: "鄂AA0270001".into(),
                uscc: Some(USCC_VECTORS[0].into()),
                uscc_flagged: false,
                district: DistrictRef::Name("武昌区".into()),
                address: "武汉市武昌区中南路1号".into(),
                contact_phone: "027-85551234".into(),
                status: PharmacyStatus::Suspended,
            }
        )]
    );
    assert!(parsed.warnings.is_empty());
}

#[test]
fn english_headers_any_case() {
    let text = "Barcode,APPROVAL_NUMBER,Name,Special Category,rx_only,Max-Per-Purchase,active,package_unit,manufacturer,strength\n\
                6901234567892,国药准字H20044578,复方甘草片,liquorice,Y,2,inactive,瓶,北京某药业,100片\n";
    let parsed = drugs(text);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert!(parsed.unknown_columns.is_empty());
    let d = &parsed.records[0].1;
    assert_eq!(d.barcode, "6901234567892");
    assert!(d.rx_only);
    assert_eq!(d.max_per_purchase, Some(2));
    assert!(!d.active);
    assert_eq!(d.package_unit, "瓶");
    assert_eq!(d.manufacturer, "北京某药业");
    assert_eq!(d.strength, "100片");

    let text = "NAME,Licence_Number,District_Code,Contact_Phone,Status,USCC\n\
                武昌大药房,鄂AA0270001,420106,13800138000,active,\n";
    let p = &pharmacies(text).records[0].1;
    assert_eq!(p.district, DistrictRef::Code("420106".into()));
    assert_eq!(p.contact_phone, "13800138000");
    assert_eq!(p.status, PharmacyStatus::Active);
    assert_eq!(p.uscc, None);
}

#[test]
fn unknown_columns_are_reported_not_fatal() {
    let text = "药店名称,许可证编号,区划代码,负责人,,营业面积（㎡）\n武昌大药房,鄂AA0270001,420106,张三,x,120\n";
    let parsed = pharmacies(text);
    assert_eq!(parsed.records.len(), 1);
    assert_eq!(parsed.unknown_columns, ["负责人", "营业面积（㎡）"]);
}

#[test]
fn title_row_above_the_header() {
    let text = "武昌区零售药店名单（2024年）,,\n\
                填表单位：武昌区市场监管局,,\n\
                药店名称,许可证编号,区划代码\n\
                武昌大药房,鄂AA0270001,420106\n";
    let parsed = pharmacies(text);
    assert_eq!(parsed.records.len(), 1);
    assert_eq!(parsed.records[0].0, 4);
    assert!(parsed.unknown_columns.is_empty());
}

#[test]
fn header_with_notes_in_brackets() {
    let text = "药品名称,条形码（13位）,批准文号,特殊药品类别,每次限购【盒】\n\
                复方甘草片,6901234567892,国药准字H20044578,复方甘草片,2\n";
    let parsed = drugs(text);
    assert_eq!(parsed.records.len(), 1, "{:?}", parsed.rejected);
    assert_eq!(parsed.records[0].1.max_per_purchase, Some(2));
}

#[test]
fn header_documentation_lists_every_accepted_name() {
    let doc = include_str!("mod.rs");
    for schema in [&pharmacies::SCHEMA, &drugs::SCHEMA] {
        for spec in schema.columns {
            assert!(
                doc.contains(&format!("| `{}`", spec.field)),
                "{}",
                spec.field
            );
            assert!(doc.contains(spec.label), "{}", spec.label);
            for alias in spec.aliases {
                assert!(
                    doc.contains(alias),
                    "alias {alias} of {} not documented",
                    spec.field
                );
            }
        }
    }
}

// ---------------------------------------------------------------- rows

#[test]
fn duplicate_keys_in_one_file() {
    let text = "药店名称,许可证编号,区划代码\n\
                武昌大药房,鄂AA0270001,420106\n\
                江汉药房,鄂AA0270002,420103\n\
                武昌大药房二店,鄂aa0270001,420106\n\
                武昌大药房三店, 鄂AA0270001 ,\n";
    let parsed = pharmacies(text);
    assert_eq!(parsed.records.len(), 2);
    assert_eq!(parsed.rejected.len(), 2);
    let r = &parsed.rejected[0];
    assert_eq!(r.row, 4);
    assert_eq!(codes(r), [("licence_number", "DUPLICATE_IN_FILE")]);
    assert!(
        r.errors[0].message.contains("第2行"),
        "{}",
        r.errors[0].message
    );
    // All errors of the row, the duplicate among them.
    assert_eq!(
        codes(&parsed.rejected[1]),
        [
            ("licence_number", "DUPLICATE_IN_FILE"),
            ("district_code", "REQUIRED")
        ]
    );

    let text = format!(
        "条形码,批准文号,药品名称,特殊药品类别\n\
         {a},国药准字H20044578,甲,ephedrine\n\
         {b},国药准字H20044578,乙,ephedrine\n\
         '{a},国药准字H20044579,丙,codeine\n",
        a = gtin13(5),
        b = gtin13(6)
    );
    let parsed = drugs(&text);
    assert_eq!(
        parsed.records.len(),
        2,
        "one approval number may cover several barcodes"
    );
    assert_eq!(parsed.rejected[0].row, 4);
    assert_eq!(
        codes(&parsed.rejected[0]),
        [("barcode", "DUPLICATE_IN_FILE")]
    );
    assert!(parsed.rejected[0].errors[0].message.contains("第2行"));
}

#[test]
fn uscc_vectors_and_checksum_warning() {
    let mut text = String::from("药店名称,许可证编号,区划代码,统一社会信用代码\n");
    for (i, code) in USCC_VECTORS.iter().chain([&USCC_BAD_CHECK]).enumerate() {
        text.push_str(&format!("药房{i},鄂AA027000{i},420106,{code}\n"));
    }
    let parsed = pharmacies(&text);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.records.len(), 4);
    for (i, code) in USCC_VECTORS.iter().enumerate() {
        let p = &parsed.records[i].1;
        assert_eq!(p.uscc.as_deref(), Some(*code));
        assert!(!p.uscc_flagged, "{code}");
    }
    let (row, flagged) = &parsed.records[3];
    assert_eq!(*row, 5);
    assert!(flagged.uscc_flagged);
    assert_eq!(flagged.uscc.as_deref(), Some(USCC_BAD_CHECK));
    assert_eq!(parsed.warnings.len(), 1);
    let w = &parsed.warnings[0];
    assert_eq!(
        (w.row, w.field.as_str(), w.code.as_str()),
        (5, "uscc", "USCC_CHECKSUM")
    );
    assert!(w.message.contains("核对"));
}

#[test]
fn invalid_uscc_format_rejects_the_row() {
    let text = "药店名称,许可证编号,区划代码,统一社会信用代码\n\
                药房一,鄂AA0270001,420106,9111000060003734\n\
                药房二,鄂AA0270002,420106,91110000600037341I\n\
                药房三,鄂AA0270003,420106,９１１１００００６０００３７３４１Ｌ\n";
    let parsed = pharmacies(text);
    let rejected: Vec<(usize, Vec<(&str, &str)>)> =
        parsed.rejected.iter().map(|r| (r.row, codes(r))).collect();
    assert_eq!(
        rejected,
        [
            (2, vec![("uscc", "USCC_FORMAT")]),
            (3, vec![("uscc", "USCC_FORMAT")])
        ]
    );
    assert_eq!(parsed.records.len(), 1, "full-width digits are normalised");
    assert_eq!(parsed.records[0].1.uscc.as_deref(), Some(USCC_VECTORS[0]));
}

#[test]
fn every_error_of_a_pharmacy_row_is_collected() {
    let long = "长".repeat(101);
    let text = format!(
        "药店名称,许可证编号,区划代码,所属区,统一社会信用代码,地址,联系电话,状态\n\
         {long},,42010,武昌区,ABC,{addr},12345,注销\n\
         ,鄂AA0270009,,,,,,\n",
        addr = "址".repeat(201)
    );
    let parsed = pharmacies(&text);
    assert!(parsed.records.is_empty());
    assert_eq!(
        codes(&parsed.rejected[0]),
        [
            ("name", "TOO_LONG"),
            ("licence_number", "REQUIRED"),
            ("uscc", "USCC_FORMAT"),
            ("district_code", "DISTRICT_INVALID"),
            ("address", "TOO_LONG"),
            ("contact_phone", "PHONE_INVALID"),
            ("status", "STATUS_INVALID"),
        ]
    );
    assert_eq!(
        codes(&parsed.rejected[1]),
        [("name", "REQUIRED"), ("district_code", "REQUIRED")]
    );
    for e in &parsed.rejected[0].errors {
        assert!(
            !e.message.is_empty() && !e.message.is_ascii(),
            "Chinese message for {}",
            e.code
        );
    }
}

#[test]
fn district_code_or_name() {
    let text = "药店名称,许可证编号,区划代码,所属区\n\
                甲,L1,420106,武昌区\n\
                乙,L2,,江汉区\n\
                丙,L3,４２０１０３,\n\
                丁,L4,42A106,武昌区\n";
    let parsed = pharmacies(text);
    let d: Vec<&DistrictRef> = parsed.records.iter().map(|(_, p)| &p.district).collect();
    assert_eq!(
        d,
        [
            &DistrictRef::Code("420106".into()),
            &DistrictRef::Name("江汉区".into()),
            &DistrictRef::Code("420103".into()),
        ]
    );
    assert_eq!(
        codes(&parsed.rejected[0]),
        [("district_code", "DISTRICT_INVALID")]
    );
    // Only the name column: a missing name is reported on it.
    let parsed = pharmacies("药店名称,许可证编号,所属区\n甲,L1,\n");
    assert_eq!(codes(&parsed.rejected[0]), [("district", "REQUIRED")]);
}

#[test]
fn every_error_of_a_drug_row_is_collected() {
    let text = "条形码,批准文号,药品名称,规格,生产企业,包装单位,特殊药品类别,处方药,每次限购,状态\n\
                6901234567893,国药准字X20044578,,100片,厂,一个很长很长的包装单位名,麻醉药品,也许,0,不知道\n\
                6.90123E+12,H20044578,甲,,,,ephedrine,,2盒,\n\
                690123456789,国药准字H20044578,乙,,,,,,,\n";
    let parsed = drugs(text);
    assert!(parsed.records.is_empty());
    assert_eq!(
        codes(&parsed.rejected[0]),
        [
            ("barcode", "BARCODE_INVALID"),
            ("approval_number", "APPROVAL_NUMBER_INVALID"),
            ("name", "REQUIRED"),
            ("package_unit", "TOO_LONG"),
            ("special_category", "CATEGORY_INVALID"),
            ("rx_only", "BOOL_INVALID"),
            ("max_per_purchase", "MAX_PER_PURCHASE_INVALID"),
            ("active", "BOOL_INVALID"),
        ]
    );
    assert!(parsed.rejected[0].errors[0].message.contains("校验位"));
    let sci = &parsed.rejected[1];
    assert_eq!(
        codes(sci),
        [
            ("barcode", "BARCODE_INVALID"),
            ("approval_number", "APPROVAL_NUMBER_INVALID"),
            ("max_per_purchase", "MAX_PER_PURCHASE_INVALID"),
        ]
    );
    assert!(
        sci.errors[0].message.contains("科学计数法"),
        "{}",
        sci.errors[0].message
    );
    assert_eq!(
        codes(&parsed.rejected[2]),
        [
            ("barcode", "BARCODE_INVALID"),
            ("special_category", "REQUIRED")
        ]
    );
}

#[test]
fn drug_values_are_normalised() {
    let text = "条形码,批准文号,药品名称,特殊药品类别,处方药,每次限购,状态,包装单位\n\
                =\"06901234567892\",国药准字 Ｈ２００４４５７８,\" 复方甘草片 \",含麻黄碱类,处方药,,正常,\n\
                96385074,国药准字z11020236,乙,含可待因复方口服液体制剂,0,１,否,瓶\n\
                036000291452,国药准字S10960045,丙,diphenoxylate,N,,1,\n";
    let parsed = drugs(text);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    let d: Vec<&DrugRecord> = parsed.records.iter().map(|(_, d)| d).collect();
    assert_eq!(d[0].barcode, "06901234567892");
    assert_eq!(d[0].approval_number, "国药准字H20044578");
    assert_eq!(d[0].name, "复方甘草片");
    assert_eq!(d[0].special_category, "ephedrine");
    assert!(d[0].rx_only);
    assert_eq!(d[0].max_per_purchase, None);
    assert!(d[0].active);
    assert_eq!(d[0].package_unit, DEFAULT_PACKAGE_UNIT);
    assert_eq!(d[1].barcode, "96385074");
    assert_eq!(d[1].approval_number, "国药准字Z11020236");
    assert_eq!(d[1].special_category, "codeine");
    assert!(!d[1].rx_only);
    assert_eq!(d[1].max_per_purchase, Some(1));
    assert!(!d[1].active);
    assert_eq!(d[1].package_unit, "瓶");
    assert_eq!(d[2].special_category, "diphenoxylate");
    assert!(d[2].active);
}

#[test]
fn control_characters_never_reach_records() {
    let text = "药店名称,许可证编号,区划代码\n武昌\u{1b}大药房\u{7},鄂AA\u{1}0270001,420106\n";
    let p = &pharmacies(text).records[0].1;
    assert_eq!(p.name, "武昌大药房");
    assert_eq!(p.licence_number, "鄂AA0270001");
    // NUL bytes mean a binary file.
    assert_eq!(
        read_sheet(b"name,licence_number\n\0a,b\n", None),
        Err(ImportFileError::NotASpreadsheet)
    );
    // In a workbook (written escaped as _x0000_ in the XML).
    let xlsx = xlsx_of_strings(&[
        &["药店名称", "许可证编号", "区划代码"],
        &["武昌\u{0}大药房\u{7}", "鄂AA0270001", "420106"],
    ]);
    let parsed = parse_pharmacies(&read_sheet(&xlsx, None).unwrap()).unwrap();
    assert_eq!(parsed.records[0].1.name, "武昌大药房");
}

mod properties {
    use proptest::prelude::*;

    use super::super::columns::clean_text;
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..1024),
            prefix in prop::sample::select(vec![&b""[..], b"PK\x03\x04", b"\xEF\xBB\xBF", b"\xFF\xFE"]),
            name in proptest::option::of("[a-z]{1,6}\\.(xlsx|csv|xls)"),
        ) {
            let mut input = prefix.to_vec();
            input.extend(bytes);
            if let Ok(sheet) = read_sheet(&input, name.as_deref()) {
                let _ = parse_pharmacies(&sheet);
                let _ = parse_drugs(&sheet);
            }
        }

        #[test]
        fn arbitrary_csv_text_never_panics(text in "[\\PC\t\r\n\",;]{0,400}") {
            if let Ok(sheet) = read_sheet(text.as_bytes(), None) {
                let mut last = sheet.header_row;
                for row in &sheet.rows {
                    prop_assert!(row.row > last, "row numbers increase");
                    last = row.row;
                }
                let _ = parse_pharmacies(&sheet);
            }
        }

        #[test]
        fn free_text_round_trips_through_csv(name in "\\PC{0,120}", address in "\\PC{0,230}") {
            let mut w = csv::Writer::from_writer(vec![]);
            w.write_record(["药店名称", "许可证编号", "区划代码", "地址"]).unwrap();
            w.write_record([name.as_str(), "鄂AA0270001", "420106", address.as_str()]).unwrap();
            let bytes = w.into_inner().unwrap();
            let parsed = parse_pharmacies(&read_sheet(&bytes, Some("a.csv")).unwrap()).unwrap();
            let (want_name, want_address) = (clean_text(&name), clean_text(&address));
            let mut want_errors = Vec::new();
            if want_name.is_empty() {
                want_errors.push(("name", "REQUIRED"));
            } else if want_name.chars().count() > 100 {
                want_errors.push(("name", "TOO_LONG"));
            }
            if want_address.chars().count() > 200 {
                want_errors.push(("address", "TOO_LONG"));
            }
            if want_errors.is_empty() {
                prop_assert_eq!(parsed.records.len(), 1);
                let (row, p) = &parsed.records[0];
                prop_assert_eq!(*row, 2);
                prop_assert_eq!(&p.name, &want_name);
                prop_assert_eq!(&p.address, &want_address);
            } else {
                prop_assert_eq!(codes(&parsed.rejected[0]), want_errors);
            }
        }
    }
}
