use serde_json::Value;

use crate::helpers::*;

const PHARMACIES_CSV: &str = "药店名称*,许可证编号*,统一社会信用代码,所属区,地址,联系电话,状态,备注\n\
    汉口大药房,鄂CB0001,91110000600037341L,江岸区,解放大道1号,027-85550001,正常,新店\n\
    武昌健民药店,鄂CB0002,91110000600037341A,武昌区,中南路2号,13800000000,停业,\n\
    重复药店,鄂CB0001,,江岸区,,,,\n\
    火星药店,鄂CB0003,,火星区,,,,\n\
    ,鄂CB0004,91110000600037341,420102,,,,\n";

#[tokio::test]
async fn pharmacies_import_reports_rows_and_reimports_update() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;

    let r: Value = import(
        &app,
        &admin,
        "pharmacies",
        "p.csv",
        PHARMACIES_CSV.as_bytes().to_vec(),
        true,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (r["created"].as_u64(), r["dry_run"].as_bool()),
        (Some(2), Some(true)),
        "{r}"
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pharmacy WHERE licence_number LIKE '鄂CB%'"
        )
        .fetch_one(&app.db)
        .await
        .unwrap(),
        0,
        "a dry run writes nothing"
    );

    let r: Value = import(
        &app,
        &admin,
        "pharmacies",
        "p.csv",
        PHARMACIES_CSV.as_bytes().to_vec(),
        false,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (r["created"].as_u64(), r["updated"].as_u64()),
        (Some(2), Some(0)),
        "{r}"
    );
    let rejected: Vec<(u64, String)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["row"].as_u64().unwrap(),
                x["errors"][0]["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        rejected.contains(&(4, "DUPLICATE_IN_FILE".into())),
        "{rejected:?}"
    );
    assert!(
        rejected.contains(&(5, "DISTRICT_UNKNOWN".into())),
        "{rejected:?}"
    );
    let row6 = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["row"] == 6)
        .unwrap();
    let codes: Vec<&str> = row6["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"REQUIRED") && codes.contains(&"USCC_FORMAT"),
        "every error of the row: {codes:?}"
    );
    assert_eq!(r["warnings"][0]["code"], "USCC_CHECKSUM");
    assert_eq!(r["warnings"][0]["row"], 3);
    assert_eq!(r["unknown_columns"][0], "备注");
    let (flagged, status, district): (bool, String, String) = sqlx::query_as("SELECT uscc_flagged, status, district_code FROM pharmacy WHERE licence_number = '鄂CB0002'").fetch_one(&app.db).await.unwrap();
    assert_eq!(
        (flagged, status.as_str(), district.as_str()),
        (true, "suspended", "420106")
    );

    let r: Value = import(
        &app,
        &admin,
        "pharmacies",
        "p.csv",
        PHARMACIES_CSV.as_bytes().to_vec(),
        false,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (r["created"].as_u64(), r["updated"].as_u64()),
        (Some(0), Some(2)),
        "a re-import updates"
    );

    // GBK, as Windows Excel saves it.
    let (gbk, _, _) =
        encoding_rs::GB18030.encode("药店名称,许可证编号,区划代码\n青山区百草堂,鄂CB0101,420107\n");
    let r: Value = import(
        &app,
        &admin,
        "pharmacies",
        "gbk.csv",
        gbk.into_owned(),
        false,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["created"], 1, "{r}");
    let name: String =
        sqlx::query_scalar("SELECT name FROM pharmacy WHERE licence_number = '鄂CB0101'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(name, "青山区百草堂");

    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'pharmacy.import'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(audited, 3);
}

#[tokio::test]
async fn bad_files_get_a_clear_422() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    for (name, bytes, code) in [
        ("photo.xlsx", png, "IMPORT_FILE_INVALID"),
        ("empty.csv", Vec::new(), "IMPORT_FILE_EMPTY"),
        (
            "header.csv",
            b"name,licence_number,district_code\n".to_vec(),
            "IMPORT_FILE_EMPTY",
        ),
        (
            "wrong.csv",
            b"foo,bar\n1,2\n".to_vec(),
            "IMPORT_MISSING_COLUMNS",
        ),
    ] {
        let r = import(&app, &admin, "pharmacies", name, bytes, false).await;
        let (s, b) = problem(r).await;
        assert_eq!((s, b["code"].as_str().unwrap()), (422, code), "{name}: {b}");
    }
    let inspector = app.login("inspector").await;
    assert_eq!(
        import(
            &app,
            &inspector,
            "pharmacies",
            "p.csv",
            PHARMACIES_CSV.as_bytes().to_vec(),
            false
        )
        .await
        .status(),
        403
    );
}

#[tokio::test]
async fn drugs_import_from_xlsx_and_ten_thousand_rows() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        "条形码",
        "批准文号",
        "药品名称",
        "规格",
        "生产企业",
        "特殊药品类别",
        "处方药",
        "每次限购",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_number(1, 0, 6901234560084.0).unwrap();
    for (c, v) in [
        "国药准字H20000001",
        "复方盐酸伪麻黄碱缓释片",
        "12片",
        "武汉某药业",
        "含麻黄碱类",
        "否",
        "1",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, c as u16 + 1, *v).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let r: Value = import(&app, &admin, "drugs", "drugs.xlsx", bytes, false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["created"], 1, "{r}");
    let (cat, cap): (String, Option<i32>) = sqlx::query_as(
        "SELECT special_category, max_per_purchase FROM drug WHERE barcode = '6901234560084'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((cat.as_str(), cap), ("ephedrine", Some(1)));

    // 10,000 pharmacies in one file, one transaction.
    let mut csv = String::from("name,licence_number,district_code,address\n");
    for i in 0..10_000 {
        csv.push_str(&format!(
            "药店{i},鄂CC{i:05},42010{},地址{i}\n",
            [2, 3, 4, 5, 6][i % 5]
        ));
    }
    let started = std::time::Instant::now();
    let r: Value = import(
        &app,
        &admin,
        "pharmacies",
        "big.csv",
        csv.into_bytes(),
        false,
    )
    .await
    .json()
    .await
    .unwrap();
    println!("10,000-row pharmacy import: {:?}", started.elapsed());
    assert_eq!(r["created"], 10_000, "{}", r["rejected"]);
    assert_eq!(r["rejected"].as_array().unwrap().len(), 0);
}

/// Applying an import is a plain function: parse a file, apply it to the
/// database without HTTP, and the rows and the audit entry are there (or, in
/// a dry run, nothing is).
#[tokio::test]
async fn an_import_applies_without_http() {
    let app = spawn_app().await;
    let token = app.login("admin").await;
    let admin = app.state.sessions.authenticate(&token).await.unwrap();
    let sheet =
        functions::imports::read_sheet(PHARMACIES_CSV.as_bytes(), Some("药店.csv")).unwrap();
    let pharmacies = || async {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM pharmacy")
            .fetch_one(&app.db)
            .await
            .unwrap();
        count
    };
    let before = pharmacies().await;
    for dry_run in [true, false] {
        let parsed = functions::imports::parse_pharmacies(&sheet).unwrap();
        let applied = functions::imports::apply::pharmacies(
            &app.db,
            &admin,
            parsed.records,
            parsed.rejected,
            dry_run,
        )
        .await
        .unwrap();
        assert_eq!(
            (applied.created, applied.updated),
            (2, 0),
            "dry run {dry_run}"
        );
        // The unknown district and the broken rows are refused, each with its row.
        let mut rows: Vec<usize> = applied.rejected.iter().map(|r| r.row).collect();
        rows.sort();
        assert_eq!(rows, [4, 5, 6]);
        let expected = if dry_run { before } else { before + 2 };
        assert_eq!(pharmacies().await, expected);
    }
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'pharmacy.import'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(audited, 1, "the dry run left no audit entry");
}
